import { z } from 'zod';
import { MlopsError } from '../errors.js';
import { invalidInput, zodIssues } from '../validation.js';
import { type ClassLabel, checkPair } from './_labels.js';
import { accuracy, balancedAccuracy, precisionRecallF1, type ZeroDivision } from './classification.js';
import { prAuc, rocAuc } from './ranking.js';

/**
 * A metric the performance monitor can track: an aggregate, or a per-class one as `precision:<label>`,
 * `recall:<label>`, `f1:<label>` (e.g. `recall:fail` for SECOM's fail class). All are "higher is better".
 */
export type PerformanceMetric =
  | 'accuracy'
  | 'balancedAccuracy'
  | 'macroPrecision'
  | 'macroRecall'
  | 'macroF1'
  | 'weightedF1'
  | 'microF1'
  | 'rocAuc'
  | 'prAuc'
  | `precision:${string}`
  | `recall:${string}`
  | `f1:${string}`;

/** One prediction joined with its ground truth; `score` is the positive-class score or a probability row. */
export interface PerformancePair {
  prediction: ClassLabel;
  label: ClassLabel;
  score?: number | ArrayLike<number>;
}

/** When a metric counts as degraded: a drop from the baseline beyond `maxDrop`, or a value below `min`. */
export interface MetricThreshold {
  /** Largest allowed absolute drop below the baseline, e.g. 0.05. @default undefined (not checked) */
  maxDrop?: number;
  /** Smallest allowed value. @default undefined (not checked) */
  min?: number;
}

/** Options of {@link evaluatePerformance}. */
export interface EvaluatePerformanceOptions {
  /** Metrics to compute. */
  metrics: PerformanceMetric[];
  /** Class order of probability-row scores (and the classes averaged over). @default sorted labels seen in the window */
  labels?: ClassLabel[];
  /** Class that scalar scores are for. @default the greater label */
  posLabel?: ClassLabel;
  /** Value of undefined precision / recall. @default 0 */
  zeroDivision?: ZeroDivision;
  /** Reference value per metric, e.g. the validation metrics of the model version. @default {} */
  baseline?: Partial<Record<string, number>>;
  /** Degradation rule per metric. @default {} */
  thresholds?: Partial<Record<string, MetricThreshold>>;
  /** Below this many pairs the window is "insufficient": metrics are computed but no breach is reported. @default 1 */
  minSamples?: number;
}

/** One threshold a metric crossed. */
export interface PerformanceBreach {
  metric: string;
  value: number;
  rule: 'maxDrop' | 'min';
  /** The allowed bound the value fell below (baseline − maxDrop, or min). */
  limit: number;
  baseline?: number;
}

/** Result of {@link evaluatePerformance} over one window. */
export interface PerformanceEvaluation {
  n: number;
  /** False when `n < minSamples`: no breaches are reported. */
  sufficient: boolean;
  /** Value per requested metric; null when undefined on this window (e.g. ROC-AUC with a single class). */
  metrics: Record<string, number | null>;
  breaches: PerformanceBreach[];
  degraded: boolean;
}

const metricName = z
  .string()
  .regex(
    /^(accuracy|balancedAccuracy|macroPrecision|macroRecall|macroF1|weightedF1|microF1|rocAuc|prAuc|(precision|recall|f1):.+)$/,
    'Unknown metric',
  );
const thresholdSchema = z.object({ maxDrop: z.number().min(0).optional(), min: z.number().optional() });
const label = z.union([z.string(), z.number()]);
const evaluateOptionsSchema = z.object({
  metrics: z.array(metricName).min(1),
  labels: z.array(label).optional(),
  posLabel: label.optional(),
  zeroDivision: z.union([z.literal(0), z.literal(1)]).optional(),
  baseline: z.record(z.string(), z.number()).optional(),
  thresholds: z.record(metricName, thresholdSchema).optional(),
  minSamples: z.number().int().min(1).optional(),
});
const monitorOptionsSchema = evaluateOptionsSchema.extend({
  window: z.object({
    type: z.enum(['tumbling', 'sliding']),
    size: z.number().int().min(1),
    step: z.number().int().min(1).optional(),
  }),
  baseline: z.union([z.record(z.string(), z.number()), z.literal('first-window')]).optional(),
});

function parseOptions<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const details = zodIssues(r.error);
    throw invalidInput('invalid performance options', details);
  }
  return r.data;
}

function compute(
  metric: string,
  yTrue: ClassLabel[],
  yPred: ClassLabel[],
  scores: (number | ArrayLike<number>)[] | undefined,
  o: EvaluatePerformanceOptions,
  prf: () => ReturnType<typeof precisionRecallF1>,
): number | null {
  switch (metric) {
    case 'accuracy':
      return accuracy(yTrue, yPred);
    case 'balancedAccuracy':
      return balancedAccuracy(yTrue, yPred);
    case 'macroPrecision':
      return prf().macro.precision;
    case 'macroRecall':
      return prf().macro.recall;
    case 'macroF1':
      return prf().macro.f1;
    case 'weightedF1':
      return prf().weighted.f1;
    case 'microF1':
      return prf().micro.f1;
    case 'rocAuc':
    case 'prAuc': {
      if (!scores) return null;
      const opts = {
        ...(o.labels ? { labels: o.labels } : {}),
        ...(o.posLabel === undefined ? {} : { posLabel: o.posLabel }),
      };
      try {
        const s = scores as number[] | ArrayLike<number>[];
        return metric === 'rocAuc' ? rocAuc(yTrue, s, opts) : prAuc(yTrue, s, opts);
      } catch (e) {
        // Undefined on this window (one class only, a class without samples): not an error for a monitor.
        if (e instanceof MlopsError && e.code === 'INVALID_INPUT') return null;
        throw e;
      }
    }
    default: {
      const sep = metric.indexOf(':');
      const kind = metric.slice(0, sep) as 'precision' | 'recall' | 'f1';
      const cls = prf().perClass.find((c) => String(c.label) === metric.slice(sep + 1));
      return cls ? cls[kind] : null;
    }
  }
}

function evaluate(pairs: readonly PerformancePair[], o: EvaluatePerformanceOptions): PerformanceEvaluation {
  const n = pairs.length;
  const metrics: Record<string, number | null> = {};
  if (n === 0) {
    for (const m of o.metrics) metrics[m] = null;
    return { n, sufficient: false, metrics, breaches: [], degraded: false };
  }
  const yTrue = pairs.map((p) => p.label);
  const yPred = pairs.map((p) => p.prediction);
  checkPair(yTrue, yPred);
  const withScores = pairs.every((p) => p.score !== undefined);
  const scores = withScores ? pairs.map((p) => p.score!) : undefined;
  let cached: ReturnType<typeof precisionRecallF1> | undefined;
  const prf = () => {
    cached ??= precisionRecallF1(yTrue, yPred, {
      ...(o.labels ? { labels: o.labels } : {}),
      ...(o.zeroDivision === undefined ? {} : { zeroDivision: o.zeroDivision }),
    });
    return cached;
  };
  for (const m of o.metrics) metrics[m] = compute(m, yTrue, yPred, scores, o, prf);
  const sufficient = n >= (o.minSamples ?? 1);
  const breaches: PerformanceBreach[] = [];
  if (sufficient) {
    for (const [metric, t] of Object.entries(o.thresholds ?? {})) {
      const value = metrics[metric];
      if (t === undefined || value === null || value === undefined) continue;
      const base = o.baseline?.[metric];
      if (t.maxDrop !== undefined && base !== undefined && value < base - t.maxDrop) {
        breaches.push({ metric, value, rule: 'maxDrop', limit: base - t.maxDrop, baseline: base });
      }
      if (t.min !== undefined && value < t.min) breaches.push({ metric, value, rule: 'min', limit: t.min });
    }
  }
  return { n, sufficient, metrics, breaches, degraded: breaches.length > 0 };
}

/**
 * Computes the requested metrics over one window of (prediction, label, score) pairs and compares them with the
 * baseline and thresholds. Pure: the server's gauges and the retraining policy both call it on the same window of
 * the prediction log, so an alert and a retrain decision cannot disagree.
 */
export function evaluatePerformance(
  pairs: readonly PerformancePair[],
  options: EvaluatePerformanceOptions,
): PerformanceEvaluation {
  const o = parseOptions(evaluateOptionsSchema, options) as EvaluatePerformanceOptions;
  if (o.thresholds) {
    for (const m of Object.keys(o.thresholds)) {
      if (!o.metrics.includes(m as PerformanceMetric)) {
        throw new MlopsError('INVALID_INPUT', {
          message: `threshold on "${m}", which is not in metrics`,
          details: [{ path: `thresholds.${m}`, message: 'Metric not computed' }],
        });
      }
    }
  }
  return evaluate(pairs, o);
}

/** Event emitted by a {@link createPerformanceMonitor} monitor. */
export type PerformanceEvent =
  | { type: 'window'; index: number; evaluation: PerformanceEvaluation }
  | { type: 'baseline'; baseline: Record<string, number> }
  | { type: 'degraded'; index: number; breach: PerformanceBreach; evaluation: PerformanceEvaluation }
  | { type: 'recovered'; index: number; metric: string; evaluation: PerformanceEvaluation };

/** Options of {@link createPerformanceMonitor}. */
export interface PerformanceMonitorOptions extends Omit<EvaluatePerformanceOptions, 'baseline'> {
  /**
   * `tumbling`: evaluate every `size` pairs, then start afresh. `sliding`: keep the last `size` pairs and, once full,
   * evaluate every `step` pairs. Memory holds at most `size` pairs either way.
   */
  window: {
    type: 'tumbling' | 'sliding';
    size: number;
    /** Sliding windows: pairs between evaluations. @default 1 */
    step?: number;
  };
  /** Reference values, or `'first-window'` to take the first full window's metrics. @default undefined (only `min` thresholds apply) */
  baseline?: Partial<Record<string, number>> | 'first-window';
  /** Receives window results and degradation / recovery events (a metric's `degraded` fires when it starts breaching). @default undefined */
  onEvent?: (event: PerformanceEvent) => void;
}

/** A streaming performance monitor: bounded memory, windowed metrics, degradation events. */
export interface PerformanceMonitor {
  /** Adds one (prediction, label, score?) pair; evaluates when a window completes. Returns that evaluation, if any. */
  observe(pair: PerformancePair): PerformanceEvaluation | undefined;
  /** Evaluates the pairs currently held (a partial tumbling window included) without emitting events. */
  current(): PerformanceEvaluation;
  /** Pairs currently held (never more than `capacity`). */
  readonly buffered: number;
  /** Most pairs the monitor ever holds: the window size. */
  readonly capacity: number;
  /** Pairs observed since creation. */
  readonly seen: number;
  /** Baseline in use (undefined until the first window when `'first-window'`). */
  readonly baseline: Readonly<Record<string, number>> | undefined;
  /** Metrics currently breaching a threshold. */
  readonly degradedMetrics: readonly string[];
}

/**
 * Creates a windowed performance monitor over a stream of predictions with ground truth. Each completed window is
 * scored with {@link evaluatePerformance} and compared with the baseline; events go to `onEvent`.
 */
export function createPerformanceMonitor(options: PerformanceMonitorOptions): PerformanceMonitor {
  const { onEvent, ...rest } = options;
  const o = parseOptions(monitorOptionsSchema, rest) as Omit<PerformanceMonitorOptions, 'onEvent'>;
  const size = o.window.size;
  const step = o.window.type === 'sliding' ? (o.window.step ?? 1) : size;
  const ring: (PerformancePair | undefined)[] = new Array(size);
  let start = 0;
  let count = 0;
  let seen = 0;
  let sinceEval = 0;
  let index = 0;
  let baseline: Record<string, number> | undefined =
    o.baseline === 'first-window' ? undefined : (o.baseline as Record<string, number>);
  const degraded = new Set<string>();
  const evalOptions = (): EvaluatePerformanceOptions => {
    const { window: _w, baseline: _b, ...e } = o;
    return { ...e, ...(baseline ? { baseline } : {}) };
  };
  evaluatePerformance([], evalOptions()); // validates thresholds against metrics now

  const pairs = () => {
    const out: PerformancePair[] = [];
    for (let i = 0; i < count; i++) out.push(ring[(start + i) % size]!);
    return out;
  };

  const emit = (e: PerformanceEvent) => onEvent?.(e);

  return {
    observe(pair) {
      const p = {
        prediction: pair.prediction,
        label: pair.label,
        ...(pair.score === undefined ? {} : { score: pair.score }),
      };
      if (count < size) {
        ring[(start + count) % size] = p;
        count++;
      } else {
        ring[start] = p;
        start = (start + 1) % size;
      }
      seen++;
      sinceEval++;
      if (count < size || sinceEval < step) return undefined;
      sinceEval = 0;
      let evaluation = evaluate(pairs(), evalOptions());
      if (baseline === undefined && o.baseline === 'first-window') {
        baseline = {};
        for (const [m, v] of Object.entries(evaluation.metrics)) if (v !== null) baseline[m] = v;
        emit({ type: 'baseline', baseline: { ...baseline } });
        evaluation = evaluate(pairs(), evalOptions());
      }
      const i = index++;
      emit({ type: 'window', index: i, evaluation });
      const now = new Set(evaluation.breaches.map((b) => b.metric));
      for (const b of evaluation.breaches) {
        if (!degraded.has(b.metric)) emit({ type: 'degraded', index: i, breach: b, evaluation });
      }
      for (const m of degraded) if (!now.has(m)) emit({ type: 'recovered', index: i, metric: m, evaluation });
      degraded.clear();
      for (const m of now) degraded.add(m);
      if (o.window.type === 'tumbling') {
        ring.fill(undefined);
        start = 0;
        count = 0;
      }
      return evaluation;
    },
    current: () => evaluate(pairs(), evalOptions()),
    get buffered() {
      return count;
    },
    capacity: size,
    get seen() {
      return seen;
    },
    get baseline() {
      return baseline;
    },
    get degradedMetrics() {
      return [...degraded];
    },
  };
}
