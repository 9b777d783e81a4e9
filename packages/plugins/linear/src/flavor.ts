import {
  type Columns,
  type FeatureMatrix,
  type FieldSpecInput,
  type Flavor,
  invalidInput,
  isFeatureMatrix,
  MlopsError,
  type ModelInput,
  type Predictor,
  type Signature,
  zodIssues,
} from '@mlops/core';
import { z } from 'zod';
import { type LinearModel, linearModel } from './model.js';

/** Flavor name stored in model package manifests. */
export const LINEAR_FLAVOR_NAME = 'mlops.linear';

/** The JSON header file of a saved linear model. */
export const LINEAR_HEADER_FILE = 'model.json';

/** The binary coefficients file: float64 little-endian, `coef` row-major (rows × nFeatures) then `intercept` (rows). */
export const LINEAR_WEIGHTS_FILE = 'coefficients.bin';

const HEADER_KIND = 'mlops.linear/model';

const headerSchema = z.strictObject({
  kind: z.literal(HEADER_KIND),
  schemaVersion: z.literal(1),
  modelKind: z.enum(['binary', 'multinomial']),
  classes: z.union([z.array(z.string()).min(2), z.array(z.number()).min(2)]),
  nFeatures: z.int().nonnegative(),
  rows: z.int().positive(),
  dtype: z.literal('float64'),
  byteOrder: z.literal('little'),
  layout: z.literal('coef[rows][nFeatures], intercept[rows]'),
  training: z.strictObject({ nIter: z.int().nonnegative(), converged: z.boolean(), loss: z.number() }).optional(),
});

/** The JSON header of a saved linear model (`model.json`). */
export type LinearModelHeader = z.infer<typeof headerSchema>;

function invalid(message: string, path = ''): never {
  throw new MlopsError('INVALID_INPUT', { message, details: [{ path, message }] });
}

/**
 * The outputs a linear model's predictor gives, for a model package signature: `label` (the most probable class:
 * `string`, or `float64` for numeric classes) and `probabilities` (`float64`, shape `[nClasses]`, in `classes` order).
 */
export function linearOutputSignature(model: Pick<LinearModel, 'classes'>): FieldSpecInput[] {
  const numeric = typeof model.classes[0] === 'number';
  return [
    { name: 'label', type: numeric ? 'float64' : 'string', description: 'Most probable class' },
    {
      name: 'probabilities',
      type: 'float64',
      shape: [model.classes.length],
      description: `Class probabilities in the order ${JSON.stringify(model.classes)}`,
    },
  ];
}

/** Encodes the model as its two files (`model.json` header, `coefficients.bin`). */
export function encodeLinearModel(model: LinearModel): Record<string, Uint8Array> {
  const rows = model.intercept.length;
  const header: LinearModelHeader = {
    kind: HEADER_KIND,
    schemaVersion: 1,
    modelKind: model.kind,
    classes: [...model.classes] as string[] | number[],
    nFeatures: model.nFeatures,
    rows,
    dtype: 'float64',
    byteOrder: 'little',
    layout: 'coef[rows][nFeatures], intercept[rows]',
    ...(model.info ? { training: { ...model.info } } : {}),
  };
  const values = model.coef.length + rows;
  const bytes = new Uint8Array(values * 8);
  const view = new DataView(bytes.buffer);
  model.coef.forEach((v, i) => {
    view.setFloat64(i * 8, v, true);
  });
  model.intercept.forEach((v, i) => {
    view.setFloat64((model.coef.length + i) * 8, v, true);
  });
  return {
    [LINEAR_HEADER_FILE]: new TextEncoder().encode(`${JSON.stringify(header, null, 2)}\n`),
    [LINEAR_WEIGHTS_FILE]: bytes,
  };
}

/** Decodes the two files written by {@link encodeLinearModel} (validated) back into a {@link LinearModel}. */
export function decodeLinearModel(files: Record<string, Uint8Array>): LinearModel {
  const headerBytes = files[LINEAR_HEADER_FILE];
  const weights = files[LINEAR_WEIGHTS_FILE];
  if (!headerBytes) invalid(`the linear model has no ${LINEAR_HEADER_FILE}`, LINEAR_HEADER_FILE);
  if (!weights) invalid(`the linear model has no ${LINEAR_WEIGHTS_FILE}`, LINEAR_WEIGHTS_FILE);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(headerBytes));
  } catch (cause) {
    throw new MlopsError('INVALID_INPUT', { message: `${LINEAR_HEADER_FILE} is not JSON`, cause });
  }
  const r = headerSchema.safeParse(json);
  if (!r.success) {
    throw invalidInput(`invalid ${LINEAR_HEADER_FILE}`, zodIssues(r.error));
  }
  const h = r.data;
  const expectedRows = h.modelKind === 'binary' ? 1 : h.classes.length;
  if (h.rows !== expectedRows)
    invalid(`a ${h.modelKind} model has ${expectedRows} rows, header says ${h.rows}`, 'rows');
  const nCoef = h.rows * h.nFeatures;
  if (weights.byteLength !== (nCoef + h.rows) * 8) {
    invalid(
      `${LINEAR_WEIGHTS_FILE} has ${weights.byteLength} bytes, expected ${(nCoef + h.rows) * 8}`,
      LINEAR_WEIGHTS_FILE,
    );
  }
  const view = new DataView(weights.buffer, weights.byteOffset, weights.byteLength);
  const coef = new Float64Array(nCoef);
  for (let i = 0; i < nCoef; i++) coef[i] = view.getFloat64(i * 8, true);
  const intercept = new Float64Array(h.rows);
  for (let i = 0; i < h.rows; i++) intercept[i] = view.getFloat64((nCoef + i) * 8, true);
  return linearModel({
    kind: h.modelKind,
    classes: h.classes,
    coef,
    intercept,
    nFeatures: h.nFeatures,
    ...(h.training ? { info: h.training } : {}),
  });
}

// Raw columns (a package without preprocessing): one column of per-row vectors, or one scalar column per feature in
// the signature's input order.
function columnsToMatrix(columns: Columns, signature: Signature, nFeatures: number): FeatureMatrix {
  const names = signature.inputs.map((f) => f.name);
  const cols = names.map((name) => {
    const c = columns[name];
    if (c === undefined) invalid(`missing input column "${name}"`, name);
    return c as ArrayLike<unknown>;
  });
  const nRows = cols[0]?.length ?? 0;
  const data = new Float64Array(nRows * nFeatures);
  const cell = (v: unknown, path: string): number => {
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n)) invalid(`${path} is not a finite number`, path);
    return n;
  };
  if (cols.length === 1 && nFeatures !== 1) {
    const col = cols[0]!;
    for (let i = 0; i < nRows; i++) {
      const row = col[i] as ArrayLike<unknown> | null;
      if (row === null || typeof row !== 'object' || row.length !== nFeatures) {
        invalid(`${names[0]}[${i}] must be a vector of ${nFeatures} numbers`, `${names[0]}.${i}`);
      }
      for (let j = 0; j < nFeatures; j++) data[i * nFeatures + j] = cell(row[j], `${names[0]}.${i}.${j}`);
    }
  } else {
    if (cols.length !== nFeatures) {
      invalid(`the signature has ${cols.length} inputs but the model takes ${nFeatures} features`, 'inputs');
    }
    cols.forEach((col, j) => {
      if (col.length !== nRows) invalid(`column "${names[j]}" has ${col.length} rows, expected ${nRows}`, names[j]);
      for (let i = 0; i < nRows; i++) data[i * nFeatures + j] = cell(col[i], `${names[j]}.${i}`);
    });
  }
  return { columns: names, nRows, nCols: nFeatures, data };
}

/** Wraps a model as a {@link Predictor} returning `{ label, probabilities }` (see {@link linearOutputSignature}). */
export function linearPredictor(model: LinearModel, signature: Signature): Predictor<ModelInput> {
  const k = model.classes.length;
  const numeric = typeof model.classes[0] === 'number';
  return {
    signature,
    batchable: true,
    async predict(input) {
      const x = isFeatureMatrix(input) ? input : columnsToMatrix(input, signature, model.nFeatures);
      const p = model.predictProbaMatrix(x);
      const predicted = model.predict(x);
      const probabilities: number[][] = new Array(x.nRows);
      for (let i = 0; i < x.nRows; i++) probabilities[i] = Array.from(p.subarray(i * k, (i + 1) * k));
      return {
        label: numeric ? Float64Array.from(predicted as number[]) : (predicted as string[]),
        probabilities,
      };
    },
  };
}

/**
 * The model-package flavor of {@link LinearModel}: saves `model.json` (classes, shapes, training info) and
 * `coefficients.bin` (float64 little-endian), and loads them into a predictor that takes the preprocessed matrix
 * (dense or CSR) and returns `label` and `probabilities`.
 *
 * @example
 * await saveModelPackage({ objects, flavor: linearFlavor(), model, signature, preprocessing: fitted, lineage: {} });
 */
export function linearFlavor(): Flavor<LinearModel> {
  return {
    name: LINEAR_FLAVOR_NAME,
    async save(model) {
      return {
        files: encodeLinearModel(model),
        config: { format: 1, nFeatures: model.nFeatures, nClasses: model.classes.length, modelKind: model.kind },
      };
    },
    async load(files, ctx) {
      return linearPredictor(decodeLinearModel(files.files), ctx.signature);
    },
  };
}
