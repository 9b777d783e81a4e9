import {
  type Columns,
  columnsToRecords,
  createInputValidator,
  type Flavor,
  type InputRecord,
  loadModelPackage,
  MlopsError,
  type ObjectStore,
  parseInput,
  type Store,
} from '@mlops/core';
import { type ClassLabel, evaluatePerformance, type PerformanceMetric } from '@mlops/core/metrics';
import { readLabelledWindow } from '@mlops/core/predictions';
import type { GateComparison, GateComparisonData, ModelVersion } from '@mlops/registry';
import { z } from 'zod';

/**
 * Labelled data both models are scored on: a held-out set the retraining kept aside (neither model trained on it),
 * with what it is and where it comes from, so the decision can say which data the gate compared on.
 */
export interface EvaluationData {
  /** What the data is, e.g. `runs since the fault`. Recorded with the decision. */
  name: string;
  /** The inputs, as columns or records (each model takes the columns of its signature). */
  inputs: Columns | readonly InputRecord[];
  /** The ground truth, one per row of `inputs`. */
  labels: readonly unknown[];
  /** The dataset version the rows come from. @default undefined */
  datasetVersion?: string;
  /** Start of the time range the rows cover. @default undefined */
  from?: Date | string;
  /** End of the time range the rows cover. @default undefined */
  to?: Date | string;
}

/** What a `compare.metrics` function receives for each model: its outputs on the data and the labels. */
export interface ComparisonMetricsContext {
  role: 'candidate' | 'incumbent';
  /** The model version scored (its tags may hold e.g. its decision threshold). */
  version: ModelVersion;
  /** The model's outputs on the data, row-aligned with `labels`. */
  outputs: Columns;
  labels: readonly unknown[];
  data: GateComparisonData;
}

/**
 * How the continuous-training gate measures the candidate and the incumbent on the same data: both are loaded
 * through their flavor from their model packages and scored on the same labelled rows, and the gate compares those
 * figures (the registered metrics of either version are not used for what was measured).
 */
export interface GateComparisonOptions {
  /** The object store holding the versions' model packages. */
  objects: ObjectStore;
  /** Flavors to load the packages with, by the manifest's flavor name. */
  flavors: readonly Flavor<never>[];
  /**
   * The data: `'window'`, the labelled predictions of the incumbent in the window the policy evaluated (the
   * candidate must not have been trained on them), or a held-out set. A `holdout` returned by `retrain` wins.
   * @default 'window'
   */
  data?: 'window' | EvaluationData;
  /**
   * The figures, named as the gate names them: a map from gate metric name to a metric of core's
   * `evaluatePerformance` over the prediction output and the labels (label metrics only), or a function of each
   * model's outputs and the labels (scores, thresholds, anything). A null or non-finite figure is left out.
   * @default { accuracy: 'accuracy', macroF1: 'macroF1' }
   */
  metrics?:
    | Record<string, PerformanceMetric>
    | ((ctx: ComparisonMetricsContext) => Record<string, number | null> | Promise<Record<string, number | null>>);
  /**
   * Output column holding the predicted class, for the map form of `metrics`.
   * @default the policy's `predictionOutput`
   */
  predictionOutput?: string;
  /**
   * Fewer labelled rows than this: no comparison, and nothing is promoted (the decision fails and says why).
   * @default the policy window's `minSamples`
   */
  minSamples?: number;
}

const timeArg = z.union([z.date(), z.iso.datetime({ offset: true })]).transform((t) => new Date(t).toISOString());

const evaluationDataSchema = z.object({
  name: z.string().min(1).max(256),
  inputs: z.custom<Columns | readonly InputRecord[]>(
    (v) => v !== null && typeof v === 'object',
    'columns or an array of records',
  ),
  labels: z.custom<readonly unknown[]>((v) => Array.isArray(v), 'an array of labels'),
  datasetVersion: z.string().min(1).max(512).optional(),
  from: timeArg.optional(),
  to: timeArg.optional(),
});

/** Validates the `compare` option's data (or a `holdout` returned by `retrain`). */
export function parseEvaluationData(value: unknown, what: string) {
  return parseInput(evaluationDataSchema, value, what);
}

/** One set of labelled rows to score both models on, as records, with its description. */
interface Rows {
  records: InputRecord[];
  labels: unknown[];
  data: GateComparisonData;
}

const hasLabel = (v: unknown) => v !== null && v !== undefined;

async function windowRows(opts: {
  store: Store;
  model: string;
  incumbent: number;
  from: string;
  to: string;
  limit: number;
}): Promise<Rows> {
  const labelled = (
    await readLabelledWindow({
      store: opts.store,
      model: opts.model,
      version: String(opts.incumbent),
      from: opts.from,
      to: opts.to,
      limit: opts.limit,
      order: 'desc',
    })
  ).filter((l) => hasLabel(l.label));
  return {
    records: labelled.map((l) => l.prediction.inputs),
    labels: labelled.map((l) => l.label),
    data: {
      name: `labelled window of the prediction log (${opts.model} v${opts.incumbent})`,
      source: 'window',
      rows: labelled.length,
      from: opts.from,
      to: opts.to,
    },
  };
}

function holdoutRows(d: z.output<typeof evaluationDataSchema>): Rows {
  const all = Array.isArray(d.inputs) ? (d.inputs as InputRecord[]) : columnsToRecords(d.inputs as Columns);
  if (all.length !== d.labels.length) {
    throw new MlopsError('INVALID_INPUT', {
      message: `held-out set "${d.name}": ${all.length} rows of inputs but ${d.labels.length} labels`,
      details: [{ path: 'labels', message: `expected ${all.length} labels` }],
    });
  }
  const keep = d.labels.map((l, i) => (hasLabel(l) ? i : -1)).filter((i) => i >= 0);
  return {
    records: keep.map((i) => all[i]!),
    labels: keep.map((i) => d.labels[i]),
    data: {
      name: d.name,
      source: 'holdout',
      rows: keep.length,
      ...(d.datasetVersion === undefined ? {} : { datasetVersion: d.datasetVersion }),
      ...(d.from === undefined ? {} : { from: d.from }),
      ...(d.to === undefined ? {} : { to: d.to }),
    },
  };
}

const DEFAULT_METRICS: Record<string, PerformanceMetric> = { accuracy: 'accuracy', macroF1: 'macroF1' };

/** Loads `version` through its flavor and scores it on `rows`. */
async function score(
  role: 'candidate' | 'incumbent',
  version: ModelVersion,
  rows: Rows,
  o: GateComparisonOptions & { predictionOutput: string },
): Promise<Record<string, number>> {
  const { predictor } = await loadModelPackage({
    objects: o.objects,
    digest: version.packageDigest,
    flavors: o.flavors,
  });
  try {
    // Each model takes the columns of its own signature (a candidate may drop inputs the incumbent takes).
    const names = predictor.signature.inputs.map((f) => f.name);
    const records = rows.records.map((r) => Object.fromEntries(names.map((n) => [n, r[n] ?? null])));
    let inputs: Columns;
    try {
      inputs = createInputValidator(predictor.signature, { raw: true, path: 'rows' })(records);
    } catch (err) {
      throw new MlopsError('VALIDATION_FAILED', {
        message: `the ${role} v${version.version} cannot score ${rows.data.name}: ${err instanceof Error ? err.message : String(err)}`,
        cause: err,
      });
    }
    const outputs = await predictor.predict(inputs);
    const raw =
      typeof o.metrics === 'function'
        ? await o.metrics({ role, version, outputs, labels: rows.labels, data: rows.data })
        : labelMetrics(outputs, rows.labels, o.metrics ?? DEFAULT_METRICS, o.predictionOutput, role, version);
    const figures: Record<string, number> = {};
    for (const [k, v] of Object.entries(raw)) if (typeof v === 'number' && Number.isFinite(v)) figures[k] = v;
    return figures;
  } finally {
    await predictor.close?.();
  }
}

function labelMetrics(
  outputs: Columns,
  labels: readonly unknown[],
  metrics: Record<string, PerformanceMetric>,
  predictionOutput: string,
  role: string,
  version: ModelVersion,
): Record<string, number | null> {
  const predicted = outputs[predictionOutput] as ArrayLike<unknown> | undefined;
  if (!predicted || predicted.length !== labels.length) {
    throw new MlopsError('VALIDATION_FAILED', {
      message: `the ${role} v${version.version} has no output "${predictionOutput}" with one value per row (outputs: ${Object.keys(outputs).join(', ')})`,
    });
  }
  const names = [...new Set(Object.values(metrics))];
  const perf = evaluatePerformance(
    labels.map((label, i) => ({ prediction: predicted[i] as ClassLabel, label: label as ClassLabel })),
    { metrics: names },
  );
  return Object.fromEntries(Object.entries(metrics).map(([k, m]) => [k, perf.metrics[m] ?? null]));
}

/** Options of {@link compareOnSameData}. */
export interface CompareOnSameDataOptions {
  store: Store;
  model: string;
  candidate: ModelVersion;
  incumbent: ModelVersion;
  /** The window the policy evaluated (for `'window'` data). */
  window: { from: string; to: string; limit: number };
  /** A held-out set returned by `retrain`: wins over `compare.data`. */
  holdout?: z.output<typeof evaluationDataSchema>;
  compare: GateComparisonOptions;
  predictionOutput: string;
  minSamples: number;
}

/**
 * Scores the candidate and the incumbent on the same labelled rows (the window, or a held-out set) and returns the
 * comparison the registry's gate reads. Fewer rows than `minSamples` throws `VALIDATION_FAILED`.
 */
export async function compareOnSameData(o: CompareOnSameDataOptions): Promise<GateComparison> {
  const configured = o.compare.data ?? 'window';
  const held = o.holdout ?? (configured === 'window' ? undefined : parseEvaluationData(configured, 'compare.data'));
  const rows = held
    ? holdoutRows(held)
    : await windowRows({
        store: o.store,
        model: o.model,
        incumbent: o.incumbent.version,
        from: o.window.from,
        to: o.window.to,
        limit: o.window.limit,
      });
  const min = o.compare.minSamples ?? o.minSamples;
  if (rows.data.rows < min) {
    throw new MlopsError('VALIDATION_FAILED', {
      message: `cannot compare v${o.candidate.version} with the incumbent v${o.incumbent.version} on the same data: only ${rows.data.rows} labelled rows in ${rows.data.name} (need ${min}); nothing promoted`,
      details: { data: rows.data, minSamples: min },
    });
  }
  const opts = { ...o.compare, predictionOutput: o.compare.predictionOutput ?? o.predictionOutput };
  const candidate = await score('candidate', o.candidate, rows, opts);
  const incumbent = await score('incumbent', o.incumbent, rows, opts);
  return {
    data: rows.data,
    candidate: { version: o.candidate.version, metrics: candidate },
    incumbent: { version: o.incumbent.version, metrics: incumbent },
  };
}

/** True when the gate compares with the incumbent anywhere (a relative node, or a custom function that may). */
export function comparesWithIncumbent(gate: unknown): boolean {
  if (typeof gate === 'function') return true;
  if (gate === null || typeof gate !== 'object') return false;
  const g = gate as Record<string, unknown>;
  if (Array.isArray(g.all)) return g.all.some(comparesWithIncumbent);
  if (Array.isArray(g.any)) return g.any.some(comparesWithIncumbent);
  if ('not' in g) return comparesWithIncumbent(g.not);
  return 'notWorseThanIncumbentBy' in g || 'improvesOnIncumbentBy' in g;
}
