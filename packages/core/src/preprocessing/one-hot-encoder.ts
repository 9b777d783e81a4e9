import { z } from 'zod';
import {
  absoluteCount,
  columnType,
  compareCodePoints,
  type FittedTransformer,
  type Frame,
  type FrameCell,
  frameRows,
  invalid,
  isMissing,
  parseState,
  requireColumn,
  type Transformer,
} from './types.js';

const KIND = 'mlops.core/one-hot-encoder';

/** What a fitted {@link oneHotEncoder} does with a category it did not see at fit time. */
export type HandleUnknown = 'error' | 'ignore' | 'infrequent_if_exist';

/** Options of {@link oneHotEncoder}. */
export interface OneHotEncoderOptions {
  /** Columns to encode; the others pass through. @default every string column of the training frame */
  columns?: string[];
  /**
   * Unknown category at transform: `'error'` throws INVALID_INPUT, `'ignore'` gives all zeros,
   * `'infrequent_if_exist'` uses the infrequent column when there is one (else zeros). @default 'error'
   */
  handleUnknown?: HandleUnknown;
  /** Categories seen fewer times than this (a count when ≥ 1, a share of rows when < 1) go to the infrequent bucket. @default undefined */
  minFrequency?: number;
  /** At most this many output columns per input column, the infrequent bucket included (≥ 2). @default undefined */
  maxCategories?: number;
}

const category = z.union([z.string(), z.number(), z.null()]);

const encoderStateSchema = z.object({
  kind: z.literal(KIND),
  schemaVersion: z.literal(1),
  handleUnknown: z.enum(['error', 'ignore', 'infrequent_if_exist']),
  columns: z.array(
    z.object({
      name: z.string(),
      /** Categories that get their own output column, in output order. */
      categories: z.array(category),
      /** Categories seen at fit that share the `<name>_infrequent` column (empty: no such column). */
      infrequent: z.array(category),
    }),
  ),
});

/** JSON state of a fitted {@link oneHotEncoder}. */
export type OneHotEncoderState = z.infer<typeof encoderStateSchema>;

/** A fitted {@link oneHotEncoder}. */
export interface FittedOneHotEncoder extends FittedTransformer<Frame, Frame> {
  /** Output column names, in order. */
  readonly outputColumns: string[];
  toJSON(): OneHotEncoderState;
}

function categoryName(c: FrameCell): string {
  return c === null ? 'null' : String(c);
}

function compareCategories(a: FrameCell, b: FrameCell): number {
  if (a === null) return b === null ? 0 : 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return compareCodePoints(String(a), String(b));
}

function fittedEncoder(state: OneHotEncoderState): FittedOneHotEncoder {
  const plans = state.columns.map((c) => {
    const index = new Map<FrameCell, number>();
    c.categories.forEach((cat, i) => {
      index.set(cat, i);
    });
    const infrequentIndex = c.infrequent.length > 0 ? c.categories.length : -1;
    for (const cat of c.infrequent) index.set(cat, infrequentIndex);
    const names = c.categories.map((cat) => `${c.name}_${categoryName(cat)}`);
    if (infrequentIndex >= 0) names.push(`${c.name}_infrequent`);
    return { name: c.name, index, infrequentIndex, names };
  });
  const encoded = new Set(plans.map((p) => p.name));
  const outputColumns = plans.flatMap((p) => p.names);
  return {
    kind: KIND,
    outputColumns,
    transform(data) {
      const n = frameRows(data);
      for (const p of plans) requireColumn(data, p.name);
      const out: Frame = {};
      for (const [name, col] of Object.entries(data)) {
        if (!encoded.has(name)) {
          out[name] = col;
          continue;
        }
        const plan = plans.find((p) => p.name === name)!;
        const cols = plan.names.map(() => new Array<FrameCell>(n).fill(0));
        for (let i = 0; i < n; i++) {
          const v = isMissing(col[i]) ? null : col[i]!;
          let j = plan.index.get(v);
          if (j === undefined) {
            if (state.handleUnknown === 'error') {
              invalid(`unknown category ${JSON.stringify(v)} in column "${name}" (row ${i})`, [
                { path: `${name}.${i}`, message: `Unknown category ${JSON.stringify(v)}` },
              ]);
            }
            if (state.handleUnknown === 'infrequent_if_exist' && plan.infrequentIndex >= 0) j = plan.infrequentIndex;
            else continue;
          }
          cols[j]![i] = 1;
        }
        plan.names.forEach((cn, j) => {
          out[cn] = cols[j]!;
        });
      }
      return out;
    },
    toJSON: () => structuredClone(state),
  };
}

/**
 * One-hot encodes categorical columns as sklearn `OneHotEncoder`: categories are learned (sorted) at fit and each
 * becomes a 0/1 column `<column>_<category>` in place of the input column; missing values are a category of their
 * own (`<column>_null`, sorted last). Rare categories can share one `<column>_infrequent` column.
 */
export function oneHotEncoder(options: OneHotEncoderOptions = {}): Transformer<Frame, Frame, FittedOneHotEncoder> {
  const handleUnknown = options.handleUnknown ?? 'error';
  if (options.maxCategories !== undefined && !(Number.isInteger(options.maxCategories) && options.maxCategories >= 2)) {
    invalid('maxCategories must be an integer ≥ 2', [{ path: 'maxCategories', message: 'Expected an integer ≥ 2' }]);
  }
  return {
    kind: KIND,
    fit(data) {
      const n = frameRows(data);
      const names =
        options.columns ?? Object.keys(data).filter((c) => columnType(c, requireColumn(data, c)) === 'string');
      const state: OneHotEncoderState = { kind: KIND, schemaVersion: 1, handleUnknown, columns: [] };
      for (const name of names) {
        const col = requireColumn(data, name);
        columnType(name, col);
        const counts = new Map<FrameCell, number>();
        for (const v of col) {
          const k = isMissing(v) ? null : v;
          counts.set(k, (counts.get(k) ?? 0) + 1);
        }
        const cats = [...counts.keys()].sort(compareCategories);
        const count = cats.map((c) => counts.get(c)!);
        const infrequent = new Array<boolean>(cats.length).fill(false);
        if (options.minFrequency !== undefined) {
          const min = absoluteCount(options.minFrequency, n);
          count.forEach((c, i) => {
            if (c < min) infrequent[i] = true;
          });
        }
        const nFeatures = cats.length - infrequent.filter(Boolean).length + 1;
        if (options.maxCategories !== undefined && options.maxCategories < nFeatures) {
          // Stable ascending sort by count; all but the (maxCategories - 1) most frequent become infrequent.
          const order = cats.map((_, i) => i).sort((a, b) => count[a]! - count[b]! || a - b);
          for (const i of order.slice(0, order.length - (options.maxCategories - 1))) infrequent[i] = true;
        }
        state.columns.push({
          name,
          categories: cats.filter((_, i) => !infrequent[i]),
          infrequent: cats.filter((_, i) => infrequent[i]),
        });
      }
      return fittedEncoder(state);
    },
  };
}

/** Rebuilds a fitted {@link oneHotEncoder} from its JSON state (validated). */
export function loadOneHotEncoder(json: unknown): FittedOneHotEncoder {
  return fittedEncoder(parseState(encoderStateSchema, json));
}
