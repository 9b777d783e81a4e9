import {
  evaluatePerformance,
  type LabelledPrediction,
  type PerformanceEvaluation,
  type PerformanceMetric,
  type PredictionRecord,
} from '@mlops/core';
import { type DriftOptions, type DriftReport, detectDrift, type Profile } from '@mlops/drift';

/** Options of {@link evaluateWindow}. */
export interface EvaluateWindowOptions {
  /** The model version's reference profile (from `@mlops/drift`), or null when it has none. */
  reference: Profile | null;
  /** Logged predictions of the window (inputs are tested for drift). */
  predictions: readonly PredictionRecord[];
  /** Predictions of the window with their latest feedback. */
  labelled: readonly LabelledPrediction[];
  /**
   * Input columns tested for drift.
   * @default the reference's feature columns present in the inputs
   */
  features?: string[];
  /**
   * Output column holding the predicted class.
   * @default 'label'
   */
  predictionOutput?: string;
  /**
   * Fewer predictions (for drift) or labelled predictions (for performance) than this: that part is not evaluated.
   * @default 30
   */
  minSamples?: number;
  /**
   * Options of `detectDrift` (tests, thresholds, `datasetDriftShare`).
   * @default {}
   */
  drift?: DriftOptions;
  /**
   * Metrics computed from feedback.
   * @default ['accuracy']
   */
  metrics?: PerformanceMetric[];
  /**
   * A breach when the metric falls below this value, e.g. `{ accuracy: 0.8 }`.
   * @default {}
   */
  minimums?: Partial<Record<string, number>>;
}

/** The result of {@link evaluateWindow}. */
export interface WindowEvaluation {
  /** Number of predictions and of labelled predictions in the window. */
  counts: { predictions: number; labelled: number };
  /** The drift report of the inputs against the reference, or null (no profile, too few predictions). */
  drift: DriftReport | null;
  /** Why drift was not evaluated. */
  driftSkipped?: string;
  /** Metrics from feedback (core's `evaluatePerformance`), or null when nothing is labelled. */
  performance: PerformanceEvaluation | null;
}

/**
 * Evaluates one window of the prediction log against a model version's reference: drift of the inputs with
 * `@mlops/drift`'s `detectDrift`, metrics from feedback with core's `evaluatePerformance`. Pure: the same window
 * always gives the same answer, which is what keeps a retraining decision and a monitoring gauge in agreement.
 */
export function evaluateWindow(options: EvaluateWindowOptions): WindowEvaluation {
  const minSamples = options.minSamples ?? 30;
  const out = options.predictionOutput ?? 'label';
  const counts = { predictions: options.predictions.length, labelled: options.labelled.length };
  let drift: DriftReport | null = null;
  let driftSkipped: string | undefined;
  const reference = options.reference;
  if (!reference) driftSkipped = 'the model version has no reference profile';
  else if (options.predictions.length < minSamples) {
    driftSkipped = `${options.predictions.length} predictions in the window, fewer than ${minSamples}`;
  } else {
    const seen = new Set<string>();
    for (const p of options.predictions) for (const k of Object.keys(p.inputs)) seen.add(k);
    const features =
      options.features ?? reference.columns.filter((c) => c.role === 'feature' && seen.has(c.name)).map((c) => c.name);
    if (features.length === 0) driftSkipped = 'no input column of the window is in the reference profile';
    else {
      const current: Record<string, unknown[]> = Object.fromEntries(features.map((f) => [f, []]));
      for (const p of options.predictions) for (const f of features) current[f]!.push(p.inputs[f] ?? null);
      drift = detectDrift(reference, current, { ...(options.drift ?? {}), include: features });
    }
  }
  const pairs = options.labelled
    .map((l) => ({ prediction: l.prediction.outputs?.[out], label: l.label }))
    .filter(
      (p): p is { prediction: string | number; label: string | number } =>
        (typeof p.prediction === 'string' || typeof p.prediction === 'number') &&
        (typeof p.label === 'string' || typeof p.label === 'number'),
    );
  const metrics = options.metrics ?? ['accuracy'];
  const thresholds = Object.fromEntries(
    Object.entries(options.minimums ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, { min: v! }]),
  );
  const performance = pairs.length === 0 ? null : evaluatePerformance(pairs, { metrics, thresholds, minSamples });
  return { counts, drift, ...(driftSkipped ? { driftSkipped } : {}), performance };
}
