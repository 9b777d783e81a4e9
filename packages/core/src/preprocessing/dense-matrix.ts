import { z } from 'zod';
import {
  type DenseMatrix,
  type FittedTransformer,
  type Frame,
  frameRows,
  invalid,
  parseState,
  requireColumn,
  type Transformer,
} from './types.js';

const KIND = 'mlops.core/dense-matrix';

/** Options of {@link denseMatrix}. */
export interface DenseMatrixOptions {
  /** Columns of the matrix, in order. @default every column of the training frame, in frame order */
  columns?: string[];
}

const denseStateSchema = z.object({
  kind: z.literal(KIND),
  schemaVersion: z.literal(1),
  columns: z.array(z.string()),
});

/** JSON state of a fitted {@link denseMatrix} step. */
export type DenseMatrixState = z.infer<typeof denseStateSchema>;

/** A fitted {@link denseMatrix} step. */
export interface FittedDenseMatrix extends FittedTransformer<Frame, DenseMatrix> {
  toJSON(): DenseMatrixState;
}

function fittedDense(state: DenseMatrixState): FittedDenseMatrix {
  return {
    kind: KIND,
    transform(data) {
      const nRows = frameRows(data);
      const nCols = state.columns.length;
      const out = new Float64Array(nRows * nCols);
      state.columns.forEach((name, j) => {
        const col = requireColumn(data, name);
        for (let i = 0; i < nRows; i++) {
          const v = col[i];
          if (typeof v !== 'number' || !Number.isFinite(v)) {
            invalid(`column "${name}" row ${i} is not a finite number (impute or encode it first)`, [
              { path: `${name}.${i}`, message: 'Expected a finite number' },
            ]);
          }
          out[i * nCols + j] = v;
        }
      });
      return { columns: [...state.columns], nRows, nCols, data: out };
    },
    toJSON: () => structuredClone(state),
  };
}

/**
 * Last step of a numeric pipeline: packs the frame's columns (fixed at fit, in order) into a row-major
 * {@link DenseMatrix}. Refuses missing or non-numeric cells with INVALID_INPUT naming the cell.
 */
export function denseMatrix(options: DenseMatrixOptions = {}): Transformer<Frame, DenseMatrix, FittedDenseMatrix> {
  return {
    kind: KIND,
    fit(data) {
      frameRows(data);
      return fittedDense({ kind: KIND, schemaVersion: 1, columns: [...(options.columns ?? Object.keys(data))] });
    },
  };
}

/** Rebuilds a fitted {@link denseMatrix} step from its JSON state (validated). */
export function loadDenseMatrix(json: unknown): FittedDenseMatrix {
  return fittedDense(parseState(denseStateSchema, json));
}
