import { z } from 'zod';
import {
  columnType,
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

const KIND = 'mlops.core/standard-scaler';

/** Options of {@link standardScaler}. */
export interface StandardScalerOptions {
  /** Columns to scale; the others pass through. @default every numeric column of the training frame */
  columns?: string[];
  /** Subtract the mean. @default true */
  withMean?: boolean;
  /** Divide by the population standard deviation. @default true */
  withStd?: boolean;
}

const scalerStateSchema = z.object({
  kind: z.literal(KIND),
  schemaVersion: z.literal(1),
  columns: z.array(z.object({ name: z.string(), mean: z.number(), scale: z.number() })),
});

/** JSON state of a fitted {@link standardScaler}. */
export type StandardScalerState = z.infer<typeof scalerStateSchema>;

/** A fitted {@link standardScaler}. */
export interface FittedStandardScaler extends FittedTransformer<Frame, Frame> {
  toJSON(): StandardScalerState;
}

const EPS = 2 ** -52;

function fittedScaler(state: StandardScalerState): FittedStandardScaler {
  return {
    kind: KIND,
    transform(data) {
      frameRows(data);
      const out: Frame = { ...data };
      for (const { name, mean, scale } of state.columns) {
        const col = requireColumn(data, name);
        if (columnType(name, col) === 'string') {
          invalid(`column "${name}" must be numeric`, [{ path: name, message: 'Expected numbers' }]);
        }
        out[name] = col.map((v): FrameCell => (isMissing(v) ? null : ((v as number) - mean) / scale));
      }
      return out;
    },
    toJSON: () => structuredClone(state),
  };
}

/**
 * Centres and scales numeric columns as sklearn `StandardScaler`: `(x - mean) / std` with the population standard
 * deviation; missing values are ignored at fit and stay missing; (near-)constant columns get scale 1.
 */
export function standardScaler(options: StandardScalerOptions = {}): Transformer<Frame, Frame, FittedStandardScaler> {
  const withMean = options.withMean ?? true;
  const withStd = options.withStd ?? true;
  return {
    kind: KIND,
    fit(data) {
      frameRows(data);
      const names =
        options.columns ?? Object.keys(data).filter((n) => columnType(n, requireColumn(data, n)) === 'number');
      const state: StandardScalerState = { kind: KIND, schemaVersion: 1, columns: [] };
      for (const name of names) {
        const col = requireColumn(data, name);
        const t = columnType(name, col);
        if (t !== 'number') {
          invalid(`column "${name}" has no numeric values to scale`, [{ path: name, message: 'Expected numbers' }]);
        }
        let n = 0;
        let sum = 0;
        for (const v of col) {
          if (isMissing(v)) continue;
          n++;
          sum += v as number;
        }
        const mean = sum / n;
        // Two-pass variance with the correction term, as sklearn's _incremental_mean_and_var.
        let sq = 0;
        let corr = 0;
        for (const v of col) {
          if (isMissing(v)) continue;
          const d = (v as number) - mean;
          corr += d;
          sq += d * d;
        }
        const variance = (sq - (corr * corr) / n) / n;
        const constant = variance <= n * EPS * variance + (n * mean * EPS) ** 2;
        const scale = withStd && !constant ? Math.sqrt(variance) : 1;
        state.columns.push({ name, mean: withMean ? mean : 0, scale });
      }
      return fittedScaler(state);
    },
  };
}

/** Rebuilds a fitted {@link standardScaler} from its JSON state (validated). */
export function loadStandardScaler(json: unknown): FittedStandardScaler {
  return fittedScaler(parseState(scalerStateSchema, json));
}
