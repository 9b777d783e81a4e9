import { z } from 'zod';
import {
  type FittedTransformer,
  type Frame,
  frameRows,
  isMissing,
  parseState,
  requireColumn,
  type Transformer,
} from './types.js';

const KIND = 'mlops.core/column-dropper';

/** Options of {@link columnDropper}. */
export interface ColumnDropperOptions {
  /** Drop a column whose share of missing values is at least this (0..1; 1 drops only all-missing columns). @default 0.5 */
  maxMissingShare?: number;
  /** Drop columns with at most one distinct present value. @default true */
  dropConstant?: boolean;
  /** Also drop numeric columns whose population variance (missing ignored) is at most this (near-constant). @default undefined (off) */
  varianceThreshold?: number;
  /** Columns to consider; the others are always kept. @default every column of the training frame */
  columns?: string[];
}

const dropperStateSchema = z.object({
  kind: z.literal(KIND),
  schemaVersion: z.literal(1),
  kept: z.array(z.string()),
  dropped: z.array(
    z.object({
      name: z.string(),
      reason: z.enum(['missing', 'constant', 'low_variance']),
      /** Missing share, distinct count or variance that triggered the drop. */
      value: z.number(),
    }),
  ),
});

/** JSON state of a fitted {@link columnDropper}. */
export type ColumnDropperState = z.infer<typeof dropperStateSchema>;

/** A fitted {@link columnDropper}: keeps exactly the columns it kept at fit, in that order. */
export interface FittedColumnDropper extends FittedTransformer<Frame, Frame> {
  readonly kept: readonly string[];
  readonly dropped: ColumnDropperState['dropped'];
  toJSON(): ColumnDropperState;
}

function fittedDropper(state: ColumnDropperState): FittedColumnDropper {
  return {
    kind: KIND,
    kept: state.kept,
    dropped: state.dropped,
    transform(data) {
      frameRows(data);
      const out: Frame = {};
      for (const name of state.kept) out[name] = requireColumn(data, name);
      return out;
    },
    toJSON: () => structuredClone(state),
  };
}

/**
 * Drops uninformative columns learned at fit: mostly missing (share ≥ `maxMissingShare`), constant, and optionally
 * near-constant numeric columns (variance ≤ `varianceThreshold`, as sklearn `VarianceThreshold`). At transform it keeps
 * the remembered list, so serving data with extra columns gets the training columns only.
 */
export function columnDropper(options: ColumnDropperOptions = {}): Transformer<Frame, Frame, FittedColumnDropper> {
  const maxMissing = options.maxMissingShare ?? 0.5;
  const dropConstant = options.dropConstant ?? true;
  return {
    kind: KIND,
    fit(data) {
      const n = frameRows(data);
      const considered = new Set(options.columns ?? Object.keys(data));
      const state: ColumnDropperState = { kind: KIND, schemaVersion: 1, kept: [], dropped: [] };
      for (const [name, col] of Object.entries(data)) {
        if (!considered.has(name)) {
          state.kept.push(name);
          continue;
        }
        let missing = 0;
        const distinct = new Set<number | string>();
        let numeric = true;
        let sum = 0;
        for (const v of col) {
          if (isMissing(v)) missing++;
          else {
            if (distinct.size < 2) distinct.add(v);
            if (typeof v === 'number') sum += v;
            else numeric = false;
          }
        }
        const share = n === 0 ? 1 : missing / n;
        if (share >= maxMissing) {
          state.dropped.push({ name, reason: 'missing', value: share });
          continue;
        }
        if (dropConstant && distinct.size <= 1) {
          state.dropped.push({ name, reason: 'constant', value: distinct.size });
          continue;
        }
        if (options.varianceThreshold !== undefined && numeric) {
          const m = sum / (n - missing);
          let sq = 0;
          for (const v of col) if (!isMissing(v)) sq += ((v as number) - m) ** 2;
          const variance = sq / (n - missing);
          if (variance <= options.varianceThreshold) {
            state.dropped.push({ name, reason: 'low_variance', value: variance });
            continue;
          }
        }
        state.kept.push(name);
      }
      for (const name of considered) requireColumn(data, name);
      return fittedDropper(state);
    },
  };
}

/** Rebuilds a fitted {@link columnDropper} from its JSON state (validated). */
export function loadColumnDropper(json: unknown): FittedColumnDropper {
  return fittedDropper(parseState(dropperStateSchema, json));
}
