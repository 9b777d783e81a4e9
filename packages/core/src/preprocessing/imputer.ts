import { z } from 'zod';
import {
  columnType,
  compareCodePoints,
  type FittedTransformer,
  type Frame,
  frameRows,
  invalid,
  isMissing,
  parseState,
  requireColumn,
  type Transformer,
} from './types.js';

const KIND = 'mlops.core/imputer';

/** How an {@link imputer} fills a column's missing values (as sklearn `SimpleImputer`'s `strategy`). */
export type ImputeStrategy = 'mean' | 'median' | 'most_frequent' | 'constant';

/** Per-column override of the imputer's strategy. */
export interface ImputerColumnOptions {
  strategy: ImputeStrategy;
  /** Value used by `'constant'`. @default 0 for numeric columns, 'missing_value' for string columns */
  fillValue?: number | string;
}

/** Options of {@link imputer}. */
export interface ImputerOptions {
  /** Strategy for every selected column. @default 'mean' */
  strategy?: ImputeStrategy;
  /** Value used by `'constant'`. @default 0 for numeric columns, 'missing_value' for string columns */
  fillValue?: number | string;
  /** Columns to impute; the others pass through untouched. @default every column of the training frame */
  columns?: string[];
  /** Strategy per column, overriding `strategy` / `fillValue` (the column is selected even if not in `columns`). @default {} */
  perColumn?: Record<string, ImputerColumnOptions>;
}

const imputerStateSchema = z.object({
  kind: z.literal(KIND),
  schemaVersion: z.literal(1),
  columns: z.array(
    z.object({
      name: z.string(),
      strategy: z.enum(['mean', 'median', 'most_frequent', 'constant']),
      type: z.enum(['number', 'string']),
      fill: z.union([z.number(), z.string()]),
    }),
  ),
  dropped: z.array(z.string()),
});

/** JSON state of a fitted {@link imputer}. */
export type ImputerState = z.infer<typeof imputerStateSchema>;

/** A fitted {@link imputer}. */
export interface FittedImputer extends FittedTransformer<Frame, Frame> {
  /** Learned fill value per imputed column. */
  readonly fills: Readonly<Record<string, number | string>>;
  toJSON(): ImputerState;
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  const m = values.length >> 1;
  return values.length % 2 ? values[m]! : (values[m - 1]! + values[m]!) / 2;
}

function mostFrequent(values: (number | string)[], type: 'number' | 'string'): number | string {
  const counts = new Map<number | string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: number | string | undefined;
  let bestCount = -1;
  for (const [v, c] of counts) {
    // Ties go to the smallest value, as sklearn does.
    const smaller =
      best === undefined ||
      (type === 'number' ? (v as number) < (best as number) : compareCodePoints(v as string, best as string) < 0);
    if (c > bestCount || (c === bestCount && smaller)) {
      best = v;
      bestCount = c;
    }
  }
  return best!;
}

function fittedImputer(state: ImputerState): FittedImputer {
  const fills: Record<string, number | string> = {};
  for (const c of state.columns) fills[c.name] = c.fill;
  const dropped = new Set(state.dropped);
  return {
    kind: KIND,
    fills,
    transform(data) {
      frameRows(data);
      const out: Frame = {};
      for (const [name, col] of Object.entries(data)) if (!dropped.has(name)) out[name] = col;
      for (const c of state.columns) {
        const col = requireColumn(data, c.name);
        const t = columnType(c.name, col);
        if (t !== 'empty' && t !== c.type) {
          invalid(`column "${c.name}" holds ${t}s but was fitted on ${c.type}s`, [
            { path: c.name, message: `Expected ${c.type}` },
          ]);
        }
        out[c.name] = col.map((v) => (isMissing(v) ? c.fill : v));
      }
      return out;
    },
    toJSON: () => structuredClone(state),
  };
}

/**
 * Fills missing values (`null`, `NaN`) with a per-column statistic learned at fit, as sklearn `SimpleImputer`:
 * mean, median, most frequent (ties → smallest) or a constant. Like sklearn, a column with no value at all at fit
 * time is dropped unless its strategy is `'constant'`.
 */
export function imputer(options: ImputerOptions = {}): Transformer<Frame, Frame, FittedImputer> {
  const strategy = options.strategy ?? 'mean';
  return {
    kind: KIND,
    fit(data) {
      frameRows(data);
      const names = [...(options.columns ?? Object.keys(data))];
      for (const n of Object.keys(options.perColumn ?? {})) if (!names.includes(n)) names.push(n);
      const state: ImputerState = { kind: KIND, schemaVersion: 1, columns: [], dropped: [] };
      for (const name of names) {
        const col = requireColumn(data, name);
        const o = options.perColumn?.[name] ?? { strategy, fillValue: options.fillValue };
        const t = columnType(name, col);
        const present = col.filter((v): v is number | string => !isMissing(v));
        if (o.strategy === 'constant') {
          const type = t === 'empty' ? (typeof o.fillValue === 'string' ? 'string' : 'number') : t;
          const fill = o.fillValue ?? (type === 'number' ? 0 : 'missing_value');
          if (typeof fill !== type) {
            invalid(`fillValue for column "${name}" must be a ${type}`, [{ path: name, message: `Expected ${type}` }]);
          }
          state.columns.push({ name, strategy: 'constant', type, fill });
          continue;
        }
        if (t === 'empty') {
          state.dropped.push(name);
          continue;
        }
        if (t === 'string' && o.strategy !== 'most_frequent') {
          invalid(`strategy "${o.strategy}" needs a numeric column; "${name}" holds strings`, [
            { path: name, message: `Strategy ${o.strategy} needs numbers` },
          ]);
        }
        let fill: number | string;
        if (o.strategy === 'mean') {
          let s = 0;
          for (const v of present as number[]) s += v;
          fill = s / present.length;
        } else if (o.strategy === 'median') {
          fill = median([...(present as number[])]);
        } else {
          fill = mostFrequent(present, t);
        }
        state.columns.push({ name, strategy: o.strategy, type: t, fill });
      }
      return fittedImputer(state);
    },
  };
}

/** Rebuilds a fitted {@link imputer} from its JSON state (validated). */
export function loadImputer(json: unknown): FittedImputer {
  return fittedImputer(parseState(imputerStateSchema, json));
}
