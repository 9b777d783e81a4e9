import {
  checkDriftOptions,
  type DriftOptions,
  detectDriftPrepared,
  prepareReference,
  type ReferenceInput,
} from '../detect/detect-drift.js';
import type { DriftReport } from '../detect/schema.js';
import { DriftError } from '../errors.js';
import { isMissing, toNumber } from '../profile/input.js';
import { type NumberRing, numberRing, type StringRing, stringRing } from './ring-buffer.js';

/** How records are grouped into windows. */
export interface DriftWindow {
  /** `tumbling`: disjoint windows of `size` records; `sliding`: the last `size` records, evaluated every `step`. */
  type: 'tumbling' | 'sliding';
  /** Records per window. */
  size: number;
  /** Sliding windows only: records between evaluations once the window is full. @default size / 10, rounded up */
  step?: number;
}

/** What a monitor reports after evaluating a window. */
export interface DriftEvent {
  /** 0-based index of the evaluation. */
  index: number;
  /** Number of records seen when the window was evaluated. */
  updates: number;
  /** Records in the evaluated window. */
  windowSize: number;
  /** Names of the drifted columns. */
  driftedColumns: string[];
  report: DriftReport;
}

/** Options of {@link createDriftMonitor}. */
export interface DriftMonitorOptions {
  /** Reference data (columns or records) or a profile; data is reduced to a profile-like prepared form once. */
  reference: ReferenceInput;
  window: DriftWindow;
  /** Called when an evaluated window shows dataset drift, or target/prediction drift. @default undefined */
  onDrift?: (event: DriftEvent) => void;
  /** Called after every evaluation, drifted or not. @default undefined */
  onEvaluation?: (event: DriftEvent) => void;
  /** Options passed to `detectDrift` for every window (tests, thresholds, mapping). @default {} */
  options?: DriftOptions;
}

/** Counters of a monitor. */
export interface DriftMonitorStats {
  /** Records received. */
  updates: number;
  /** Windows evaluated. */
  evaluations: number;
  /** Evaluations that called `onDrift`. */
  driftEvents: number;
  /** Records currently buffered (≤ `windowSize`). */
  buffered: number;
  windowSize: number;
  /** Capacity of the largest per-column ring buffer (never above `windowSize`). */
  bufferCapacity: number;
  /** Columns being monitored. */
  columns: number;
  /** Dataset drift share of the last evaluation, or null before the first. */
  lastShare: number | null;
}

/** A streaming drift monitor: feed records, get drift events per window, memory bounded by the window size. */
export interface DriftMonitor {
  /** Adds one record; returns the event when this record completed a window evaluation, else null. */
  update(record: Record<string, unknown>): DriftEvent | null;
  /** Adds records in order; returns the events of the windows they completed. */
  updateBatch(records: Iterable<Record<string, unknown>>): DriftEvent[];
  /** Evaluates the buffered records now (e.g. a partial window at shutdown); null when nothing is buffered. */
  flush(): DriftEvent | null;
  /** Counters and buffer sizes. */
  stats(): DriftMonitorStats;
  /** Drops buffered records (counters are kept). */
  reset(): void;
}

/** Creates a streaming drift monitor over tumbling or sliding windows, with one ring buffer per column. */
export function createDriftMonitor(options: DriftMonitorOptions): DriftMonitor {
  const { window } = options;
  if (!Number.isInteger(window.size) || window.size < 2) {
    throw new DriftError('INVALID_INPUT', `window.size must be an integer ≥ 2, got ${window.size}`);
  }
  const step = window.step ?? Math.ceil(window.size / 10);
  if (!Number.isInteger(step) || step < 1) {
    throw new DriftError('INVALID_INPUT', `window.step must be a positive integer, got ${step}`);
  }
  const driftOptions = options.options ?? {};
  checkDriftOptions(driftOptions);
  const reference = prepareReference(options.reference, driftOptions.columnMapping);
  const wanted = driftOptions.include ? new Set(driftOptions.include) : null;
  const rings: { name: string; numeric: boolean; ring: NumberRing | StringRing }[] = reference.columns
    .filter((c) => c.type !== 'datetime' && (wanted === null || wanted.has(c.name)))
    .map((c) => {
      const numeric = c.type === 'numerical';
      return { name: c.name, numeric, ring: numeric ? numberRing(window.size) : stringRing(window.size) };
    });
  if (rings.length === 0) throw new DriftError('INVALID_INPUT', 'the reference has no columns to monitor');

  let buffered = 0;
  let updates = 0;
  let evaluations = 0;
  let driftEvents = 0;
  let sinceEvaluation = 0;
  let lastShare: number | null = null;

  const evaluate = (): DriftEvent => {
    const data: Record<string, ArrayLike<unknown>> = {};
    for (const r of rings) data[r.name] = r.ring.toArray();
    const report = detectDriftPrepared(reference, data, { ...driftOptions, onProgress: undefined });
    const event: DriftEvent = {
      index: evaluations++,
      updates,
      windowSize: buffered,
      driftedColumns: report.columns.filter((c) => c.drifted).map((c) => c.column),
      report,
    };
    lastShare = report.dataset.share;
    sinceEvaluation = 0;
    options.onEvaluation?.(event);
    if (report.dataset.drifted || report.targetDrift === true || report.predictionDrift === true) {
      driftEvents++;
      options.onDrift?.(event);
    }
    return event;
  };

  const clear = () => {
    for (const r of rings) r.ring.clear();
    buffered = 0;
  };

  const update = (record: Record<string, unknown>): DriftEvent | null => {
    if (record === null || typeof record !== 'object')
      throw new DriftError('INVALID_INPUT', 'a record must be an object');
    for (const r of rings) {
      const v = record[r.name];
      if (r.numeric) (r.ring as NumberRing).push(isMissing(v) ? Number.NaN : toNumber(v));
      else (r.ring as StringRing).push(isMissing(v) ? null : v instanceof Date ? v.toISOString() : String(v));
    }
    updates++;
    sinceEvaluation++;
    if (buffered < window.size) buffered++;
    if (window.type === 'tumbling') {
      if (buffered < window.size) return null;
      const event = evaluate();
      clear();
      return event;
    }
    if (buffered < window.size) return null;
    // The first evaluation happens as soon as the window is full; then every `step` records.
    if (evaluations > 0 && sinceEvaluation < step) return null;
    return evaluate();
  };

  return {
    update,
    updateBatch(records) {
      const events: DriftEvent[] = [];
      for (const record of records) {
        const e = update(record);
        if (e) events.push(e);
      }
      return events;
    },
    flush() {
      if (buffered === 0) return null;
      const event = evaluate();
      if (window.type === 'tumbling') clear();
      return event;
    },
    stats: () => ({
      updates,
      evaluations,
      driftEvents,
      buffered,
      windowSize: window.size,
      bufferCapacity: Math.max(...rings.map((r) => Math.max(r.ring.capacity, r.ring.length))),
      columns: rings.length,
      lastShare,
    }),
    reset: clear,
  };
}
