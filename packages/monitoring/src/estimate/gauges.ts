import type { GaugeDefinition, GaugeFamily } from '../gauge-types.js';
import type { PerformanceEstimate } from './estimate.js';

/**
 * Names of the estimated-performance gauges (Prometheus), beside the realized metrics from feedback
 * (`mlops_feedback_metric`), each labelled with `model` and `version`. The bounds are the estimate's interval at its
 * confidence level.
 */
export const ESTIMATE_GAUGE_NAMES = {
  accuracy: 'mlops_estimated_accuracy',
  accuracyLower: 'mlops_estimated_accuracy_lower',
  accuracyUpper: 'mlops_estimated_accuracy_upper',
  macroF1: 'mlops_estimated_macro_f1',
  macroF1Lower: 'mlops_estimated_macro_f1_lower',
  macroF1Upper: 'mlops_estimated_macro_f1_upper',
} as const;

const N = ESTIMATE_GAUGE_NAMES;
const mv = ['model', 'version'];
const FROM = 'estimated without labels from the calibrated predicted probabilities of the monitoring window (CBPE)';

/** The estimated-performance gauges, in the order they are exported. */
export const ESTIMATE_GAUGES: readonly GaugeDefinition[] = [
  { name: N.accuracy, help: `Accuracy ${FROM}`, labelNames: mv },
  { name: N.accuracyLower, help: 'Lower bound of the estimated accuracy (95 % by default)', labelNames: mv },
  { name: N.accuracyUpper, help: 'Upper bound of the estimated accuracy (95 % by default)', labelNames: mv },
  { name: N.macroF1, help: `Macro-F1 ${FROM}`, labelNames: mv },
  { name: N.macroF1Lower, help: 'Lower bound of the estimated macro-F1 (95 % by default)', labelNames: mv },
  { name: N.macroF1Upper, help: 'Upper bound of the estimated macro-F1 (95 % by default)', labelNames: mv },
];

/** One model version's estimate, as {@link estimateGauges} exports it. */
export interface VersionEstimate {
  model: string;
  version: string;
  estimate: PerformanceEstimate;
}

/** The gauges' samples for a set of estimates (one per model version), keyed like {@link ESTIMATE_GAUGES}. Pure. */
export function estimateGauges(estimates: readonly VersionEstimate[]): GaugeFamily[] {
  const families = new Map(ESTIMATE_GAUGES.map((d) => [d.name, { ...d, samples: [] } as GaugeFamily]));
  const set = (name: string, labels: Record<string, string>, value: number) =>
    families.get(name)!.samples.push({ labels, value });
  for (const { model, version, estimate } of estimates) {
    const labels = { model, version };
    set(N.accuracy, labels, estimate.accuracy.estimate);
    set(N.accuracyLower, labels, estimate.accuracy.lower);
    set(N.accuracyUpper, labels, estimate.accuracy.upper);
    set(N.macroF1, labels, estimate.macroF1.estimate);
    set(N.macroF1Lower, labels, estimate.macroF1.lower);
    set(N.macroF1Upper, labels, estimate.macroF1.upper);
  }
  return [...families.values()];
}
