import { invalidInput, type JsonValue, zodIssues } from '@mlops/core';
import type { ClassLabel } from '@mlops/core/metrics';
import { z } from 'zod';
import {
  argmax,
  checkClasses,
  checkProbabilities,
  invalid,
  labelIndices,
  type ProbabilityRows,
} from './_probabilities.js';
import { seededRandom, shuffledIndices } from './_rng.js';
import { fitIsotonic, isotonicPredict } from './isotonic.js';
import { type ReliabilityBin, reliability, reliabilityBinSchema } from './reliability.js';
import { applyTemperature, fitTemperature } from './temperature.js';

/** The JSON `kind` of a stored calibrator. */
export const CALIBRATOR_KIND = 'mlops.monitoring/calibrator';

/** How a calibrator maps probabilities: not at all, one temperature, or a top-label isotonic map. */
export type CalibrationMethod = 'none' | 'isotonic' | 'temperature';

const label = z.union([z.string(), z.number()]);
const methodSchema = z.enum(['none', 'isotonic', 'temperature']);
const knotsSchema = z
  .object({ x: z.array(z.number().min(0).max(1)), y: z.array(z.number().min(0).max(1)) })
  .refine((m) => m.x.length === m.y.length && m.x.length > 0, 'x and y must have the same, non-zero length')
  .refine((m) => m.x.every((v, i) => i === 0 || v >= m.x[i - 1]!), 'x must be ascending')
  .refine((m) => m.y.every((v, i) => i === 0 || v >= m.y[i - 1]!), 'y must be non-decreasing');

/** zod schema of a {@link CalibrationReport}. */
export const calibrationReportSchema = z.object({
  /** The method fitted. */
  method: methodSchema,
  /** The method asked for (`auto`: the lowest cross-validated ECE among none, temperature and isotonic). */
  requested: z.enum(['isotonic', 'temperature', 'auto']),
  /** Labelled rows the calibrator was fitted and measured on. */
  n: z.number().int().positive(),
  /** Equal-width confidence bins of the reliability curves and ECEs. */
  bins: z.number().int().positive(),
  /** Cross-validation folds that measured the calibrated ECE. */
  folds: z.number().int().positive(),
  /** Expected calibration error of the model's confidence, before and after calibration (after: out of fold). */
  ece: z.object({ before: z.number().min(0).max(1), after: z.number().min(0).max(1) }),
  /** Reliability curves before and after calibration (after: out of fold). */
  reliability: z.object({ before: z.array(reliabilityBinSchema), after: z.array(reliabilityBinSchema) }),
  /** Cross-validated ECE of each method tried (`none` is the uncalibrated ECE). */
  candidates: z.object({
    none: z.number().min(0).max(1),
    temperature: z.number().min(0).max(1).optional(),
    isotonic: z.number().min(0).max(1).optional(),
  }),
  /** Accuracy of the model's predictions on these rows (what a calibrated mean confidence should match). */
  accuracy: z.number().min(0).max(1),
});

/**
 * How calibration was measured: the expected calibration error (ECE) and reliability curve of the model's
 * confidence (the probability of the class it predicts) before and after calibration. The after-figures are out of
 * fold (each row calibrated by a calibrator fitted on the other folds), so an isotonic fit cannot flatter itself.
 */
export type CalibrationReport = z.infer<typeof calibrationReportSchema>;

const paramsSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('none') }),
  z.object({ method: z.literal('temperature'), temperature: z.number().positive() }),
  /** Top-label isotonic map: the model's confidence → the probability that its prediction is right. */
  z.object({ method: z.literal('isotonic'), map: knotsSchema }),
]);

type CalibrationParams = z.infer<typeof paramsSchema>;

/** zod schema of a serialised {@link Calibrator} (what {@link Calibrator.toJSON} returns). */
export const calibratorSchema = z
  .object({
    kind: z.literal(CALIBRATOR_KIND),
    schemaVersion: z.literal(1),
    /** Probability columns the calibrator expects. */
    nClasses: z.number().int().min(2),
    /** The classes of those columns, in order; null when fitted on column indices. */
    classes: z.array(label).nullable(),
    params: paramsSchema,
    report: calibrationReportSchema,
  })
  .superRefine((c, ctx) => {
    if (c.classes && c.classes.length !== c.nClasses) {
      ctx.addIssue({ code: 'custom', path: ['classes'], message: `expected ${c.nClasses} classes` });
    }
    if (c.params.method !== c.report.method) {
      ctx.addIssue({ code: 'custom', path: ['report', 'method'], message: 'does not match params.method' });
    }
  });

/** A serialised calibrator, as stored in a model package. */
export type CalibratorJson = z.infer<typeof calibratorSchema>;

/** A fitted probability calibrator: maps a model's probabilities to calibrated ones, column order unchanged. */
export interface Calibrator {
  /** The mapping fitted. */
  readonly method: CalibrationMethod;
  /** Probability columns expected. */
  readonly nClasses: number;
  /** The classes of the columns, in order; null when fitted on column indices. */
  readonly classes: readonly ClassLabel[] | null;
  /** ECE and reliability curves before and after calibration, measured on the held-out rows. */
  readonly report: CalibrationReport;
  /** Calibrated probabilities of each row (rows sum to 1). Temperature scaling keeps the argmax; isotonic may not. */
  calibrate(probabilities: ProbabilityRows): number[][];
  /** Plain JSON to store (e.g. in the model package); read it back with {@link calibratorFromJSON}. */
  toJSON(): CalibratorJson;
}

/** Options of {@link fitCalibrator}. */
export interface FitCalibratorOptions {
  /**
   * `isotonic` (top-label: isotonic regression of "the prediction was right" on the model's confidence; the
   * other classes share the rest in the model's proportions), `temperature` (one temperature on the
   * log-probabilities), or `auto`: whichever of none, temperature and isotonic has the lowest cross-validated ECE
   * (ties go to the simpler one).
   * @default 'auto'
   */
  method?: 'isotonic' | 'temperature' | 'auto';
  /** The classes of the probability columns, in order; labels are looked up in it. @default labels are column indices */
  classes?: readonly ClassLabel[];
  /** Equal-width confidence bins for ECE and the reliability curves. @default 10 */
  bins?: number;
  /** Cross-validation folds for the calibrated ECE (and the `auto` choice). @default 5 */
  folds?: number;
  /** Seed of the fold assignment. @default 0 */
  seed?: number;
}

function fitParams(method: CalibrationMethod, rows: ProbabilityRows, y: Int32Array): CalibrationParams {
  if (method === 'none') return { method };
  if (method === 'temperature') return { method, temperature: fitTemperature(rows, y) };
  const confidence = new Float64Array(rows.length);
  const correct = new Float64Array(rows.length);
  rows.forEach((row, i) => {
    const c = argmax(row);
    confidence[i] = row[c]!;
    correct[i] = c === y[i] ? 1 : 0;
  });
  return { method, map: fitIsotonic(confidence, correct) };
}

function applyParams(params: CalibrationParams, row: ArrayLike<number>): number[] {
  if (params.method === 'none') return Array.from(row);
  if (params.method === 'temperature') return applyTemperature(row, params.temperature);
  // Top-label: the predicted class gets the calibrated confidence, the other classes share the rest in the model's
  // proportions (evenly when the model gave them nothing).
  const top = argmax(row);
  const confidence = isotonicPredict(params.map, row[top]!);
  const rest = 1 - row[top]!;
  const k = row.length;
  return Array.from(row, (p, c) => {
    if (c === top) return confidence;
    return rest > 0 ? ((1 - confidence) * p) / rest : (1 - confidence) / (k - 1);
  });
}

/** The calibrated confidence of the model's prediction for each row, each row calibrated out of fold. */
function outOfFoldConfidence(
  method: CalibrationMethod,
  rows: ProbabilityRows,
  y: Int32Array,
  pred: Int32Array,
  foldOf: Int32Array,
  folds: number,
): Float64Array {
  const conf = new Float64Array(rows.length);
  for (let f = 0; f < folds; f++) {
    const trainRows: ArrayLike<number>[] = [];
    const trainY: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      if (foldOf[i] !== f) {
        trainRows.push(rows[i]!);
        trainY.push(y[i]!);
      }
    }
    const params = fitParams(method, trainRows, Int32Array.from(trainY));
    for (let i = 0; i < rows.length; i++) {
      if (foldOf[i] === f) conf[i] = applyParams(params, rows[i]!)[pred[i]!]!;
    }
  }
  return conf;
}

/**
 * Fits a probability calibrator on held-out labelled predictions (never the training rows) and measures it: the
 * expected calibration error and reliability curve of the model's confidence before and after calibration, the
 * after-figures out of fold. Binary and multiclass; `labels` are classes (with `classes`) or column indices.
 *
 * @example
 * const cal = fitCalibrator(model.predictProba(xHeldOut), yHeldOut, { classes: model.classes });
 * cal.report.ece; // { before: 0.061, after: 0.012 }
 * const stored = cal.toJSON(); // store it with the model; calibratorFromJSON(stored) reads it back
 */
export function fitCalibrator(
  probabilities: ProbabilityRows,
  labels: readonly ClassLabel[],
  options: FitCalibratorOptions = {},
): Calibrator {
  const requested = options.method ?? 'auto';
  if (!['isotonic', 'temperature', 'auto'].includes(requested)) {
    invalid(`method must be 'isotonic', 'temperature' or 'auto', got ${JSON.stringify(requested)}`, 'method');
  }
  const bins = options.bins ?? 10;
  const folds = options.folds ?? 5;
  const k = checkProbabilities(probabilities);
  if (options.classes !== undefined) checkClasses(options.classes, k);
  if (!Array.isArray(labels) || labels.length !== probabilities.length) {
    invalid(`labels must have one label per probability row (${probabilities.length})`, 'labels');
  }
  const y = labelIndices(labels, k, options.classes, 'labels');
  const n = probabilities.length;
  if (!Number.isInteger(folds) || folds < 2 || folds > n) {
    invalid(`folds must be an integer in [2, ${n}] (the number of labelled rows)`, 'folds');
  }
  const pred = Int32Array.from(probabilities, argmax);
  const correct = Array.from(pred, (p, i) => p === y[i]);
  const before = reliability(
    Array.from(pred, (p, i) => probabilities[i]![p]!),
    correct,
    bins,
  );
  const order = shuffledIndices(n, seededRandom(options.seed ?? 0));
  const foldOf = new Int32Array(n);
  for (let r = 0; r < n; r++) foldOf[order[r]!] = r % folds;

  const tried: CalibrationMethod[] = requested === 'auto' ? ['temperature', 'isotonic'] : [requested];
  const candidates: CalibrationReport['candidates'] = { none: before.ece };
  const curves = new Map<CalibrationMethod, { ece: number; bins: ReliabilityBin[] }>([['none', before]]);
  for (const m of tried) {
    const r = reliability(outOfFoldConfidence(m, probabilities, y, pred, foldOf, folds), correct, bins);
    curves.set(m, r);
    candidates[m as 'temperature' | 'isotonic'] = r.ece;
  }
  let method: CalibrationMethod = requested === 'auto' ? 'none' : requested;
  if (requested === 'auto') {
    for (const m of tried) if (curves.get(m)!.ece < curves.get(method)!.ece) method = m;
  }
  const after = curves.get(method)!;
  const json: CalibratorJson = {
    kind: CALIBRATOR_KIND,
    schemaVersion: 1,
    nClasses: k,
    classes: options.classes ? [...options.classes] : null,
    params: fitParams(method, probabilities, y),
    report: {
      method,
      requested,
      n,
      bins,
      folds,
      ece: { before: before.ece, after: after.ece },
      reliability: { before: before.bins, after: after.bins },
      candidates,
      accuracy: correct.filter(Boolean).length / n,
    },
  };
  return calibratorOf(json);
}

function calibratorOf(json: CalibratorJson): Calibrator {
  const { params, nClasses } = json;
  return {
    method: params.method,
    nClasses,
    classes: json.classes,
    report: json.report,
    calibrate(probabilities) {
      checkProbabilities(probabilities, nClasses);
      return probabilities.map((row) => applyParams(params, row));
    },
    toJSON: () => structuredClone(json),
  };
}

/** Reads a calibrator back from {@link Calibrator.toJSON}'s output; INVALID_INPUT with field paths otherwise. */
export function calibratorFromJSON(json: unknown): Calibrator {
  const r = calibratorSchema.safeParse(json);
  if (!r.success) {
    throw invalidInput('invalid calibrator', zodIssues(r.error));
  }
  return calibratorOf(r.data);
}

/** The model-package `metadata` key a calibrator is stored under (see {@link calibratorMetadata}). */
export const CALIBRATOR_METADATA_KEY = 'mlops.calibrator';

/**
 * The calibrator as model-package metadata: spread it into `saveModelPackage({ metadata })`, read it back from the
 * loaded manifest with {@link calibratorFromMetadata}.
 */
export function calibratorMetadata(calibrator: Calibrator): Record<string, JsonValue> {
  return { [CALIBRATOR_METADATA_KEY]: calibrator.toJSON() as unknown as JsonValue };
}

/** The calibrator stored in a model package's metadata; undefined when none is; INVALID_INPUT when it is damaged. */
export function calibratorFromMetadata(
  metadata: Readonly<Record<string, unknown>> | undefined,
): Calibrator | undefined {
  const stored = metadata?.[CALIBRATOR_METADATA_KEY];
  return stored === undefined ? undefined : calibratorFromJSON(stored);
}
