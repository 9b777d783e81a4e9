import {
  type Columns,
  createInputValidator,
  MlopsError,
  type Predictor,
  parseSignature,
  type Signature,
  type SignatureSchemas,
  signatureToZod,
} from '@mlops/core';
import { concatColumns, rowCount, sliceColumns } from './_internal/columns.js';
import { type Batcher, type BatchingOptions, createBatcher } from './scheduler/batcher.js';

/** One loaded model version as the server runs it (internal). */
export interface ServedModel {
  readonly name: string;
  readonly version: string;
  /** The alias it was resolved from, when it follows one. */
  readonly alias: string | undefined;
  readonly signature: Signature;
  readonly schemas: SignatureSchemas;
  /**
   * Validates records or columns against the signature (core's `createInputValidator`, compiled once); typed columns
   * out, or `INVALID_INPUT` with field paths under `path`.
   */
  validate(inputs: unknown, opts: { maxRows: number; path: string }): Columns;
  readonly predictor: Predictor;
  /** Predicts a validated batch (through the batcher when the predictor is batchable and batching is on). */
  predict(inputs: Columns): Promise<Columns>;
  /** Rows waiting in the batcher. */
  readonly pendingRows: number;
  /** Marks a request as using this version; returns its release. */
  use(): () => void;
  /** Waits for current requests, then closes the predictor when `closePredictor` is set. */
  retire(): Promise<void>;
}

/** Options of {@link createServedModel}. */
export interface ServedModelOptions {
  name: string;
  version: string;
  alias?: string | undefined;
  predictor: Predictor;
  /** `false` turns micro-batching off. */
  batching?: BatchingOptions | false | undefined;
  /** Close the predictor when retired (true for predictors the server loaded itself). */
  closePredictor?: boolean;
  /** Called with each predictor call's row count. */
  onBatch?: (rows: number) => void;
}

async function checkedPredict(predictor: Predictor, inputs: Columns): Promise<Columns> {
  const out = await predictor.predict(inputs);
  if (out === null || typeof out !== 'object') throw new Error('predictor returned no columns');
  return out;
}

async function predictRowByRow(predictor: Predictor, inputs: Columns): Promise<Columns> {
  const n = rowCount(inputs);
  const parts: Columns[] = [];
  for (let i = 0; i < n; i++) {
    const out = await checkedPredict(predictor, n === 1 ? inputs : sliceColumns(inputs, i, i + 1));
    if (rowCount(out) !== 1) throw new Error(`predictor returned ${rowCount(out)} rows for one input row`);
    parts.push(out);
  }
  return concatColumns(parts);
}

/** Wraps a predictor for serving: signature schemas, optional micro-batching, use counting for hot-swaps. */
export function createServedModel(opts: ServedModelOptions): ServedModel {
  const signature = parseSignature(opts.predictor.signature);
  const schemas = signatureToZod(signature);
  const predictor = opts.predictor;
  let batcher: Batcher | undefined;
  if (predictor.batchable && opts.batching !== false) {
    batcher = createBatcher({
      ...(opts.batching ?? {}),
      predict: (cols) => checkedPredict(predictor, cols),
      ...(opts.onBatch ? { onBatch: opts.onBatch } : {}),
    });
  }
  let users = 0;
  let retiring: Promise<void> | undefined;
  let onIdle: (() => void) | undefined;

  const direct = async (inputs: Columns) => {
    if (predictor.batchable) {
      opts.onBatch?.(rowCount(inputs));
      const out = await checkedPredict(predictor, inputs);
      if (rowCount(out) !== rowCount(inputs)) {
        throw new Error(`predictor returned ${rowCount(out)} rows for ${rowCount(inputs)} inputs`);
      }
      return out;
    }
    opts.onBatch?.(1);
    return predictRowByRow(predictor, inputs);
  };

  return {
    name: opts.name,
    version: opts.version,
    alias: opts.alias,
    signature,
    schemas,
    validate: createInputValidator(signature, { raw: true }),
    predictor,
    predict: (inputs) => (batcher ? batcher.run(inputs) : direct(inputs)),
    get pendingRows() {
      return batcher?.pendingRows ?? 0;
    },
    use() {
      if (retiring) throw new MlopsError('INTERNAL', 'model version already retired');
      users++;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        users--;
        if (users === 0) onIdle?.();
      };
    },
    retire() {
      retiring ??= (async () => {
        if (users > 0) await new Promise<void>((r) => (onIdle = r));
        await batcher?.idle();
        if (opts.closePredictor) await predictor.close?.();
      })();
      return retiring;
    },
  };
}
