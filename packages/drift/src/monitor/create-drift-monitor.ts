import {
  checkDriftOptions,
  type DriftOptions,
  detectDriftPrepared,
  prepareReference,
  type ReferenceInput,
} from '../detect/detect-drift.js';
import {
  type CurrentCensus,
  countRead,
  emptyCensus,
  lastReadCode,
  READ,
  readNumber,
  readText,
} from '../detect/read-current.js';
import type { DatasetStatus, DriftReport } from '../detect/schema.js';
import { DriftError } from '../errors.js';
import { type CodeRing, codeRing, type NumberRing, numberRing, type StringRing, stringRing } from './ring-buffer.js';

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
  /** The window's verdict, `report.dataset.status`: `ok`, `drifted` or `broken`. */
  status: DatasetStatus;
  report: DriftReport;
}

/** Options of {@link createDriftMonitor}. */
export interface DriftMonitorOptions {
  /** Reference data (columns or records) or a profile; data is reduced to a profile-like prepared form once. */
  reference: ReferenceInput;
  window: DriftWindow;
  /**
   * Called when an evaluated window shows dataset drift, or target/prediction drift, in a feed that is not broken.
   * @default undefined
   */
  onDrift?: (event: DriftEvent) => void;
  /**
   * Called when an evaluated window comes from a broken feed (a reference column missing, retyped or empty: see
   * `report.schema`). A broken window never calls `onDrift`. @default undefined
   */
  onBroken?: (event: DriftEvent) => void;
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
  /** Evaluations of a broken feed (those that called `onBroken`). */
  brokenEvents: number;
  /** Status of the last evaluation, or null before the first. */
  lastStatus: DatasetStatus | null;
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

type Column = 'numerical' | 'datetime' | 'categorical' | 'boolean' | 'text';

// Read codes kept per record: 0 native or missing, 1 key absent, then 16 + kind for a converted value and
// 32 + kind for an unreadable one (kind: index in KINDS), so a window's census is a count per code.
const ABSENT = 1;
const CONVERTED = 16;
const INVALID = 32;
const KINDS = ['string', 'number', 'boolean', 'bigint', 'object', 'array', 'date', 'function', 'symbol'];

function kindIndex(v: unknown): number {
  const k = v instanceof Date ? 'date' : Array.isArray(v) ? 'array' : typeof v;
  const i = KINDS.indexOf(k);
  return i === -1 ? KINDS.indexOf('object') : i;
}

function encodeRead(read: number, v: unknown): number {
  if (read === READ.converted) return CONVERTED + kindIndex(v);
  if (read === READ.invalid) return INVALID + kindIndex(v);
  return 0;
}

function censusOf(codes: CodeRing, examples: readonly string[]): CurrentCensus {
  const census = emptyCensus();
  for (const [code, n] of codes.counts()) {
    if (code >= INVALID) {
      census.invalid += n;
      census.invalidKinds.add(KINDS[code - INVALID] as string);
    } else if (code >= CONVERTED) census.converted.set(KINDS[code - CONVERTED] as string, n);
  }
  // the most recent unreadable values (the oldest may have left a sliding window)
  if (census.invalid > 0) census.examples = examples.slice(-Math.min(3, census.invalid));
  return census;
}

/** Creates a streaming drift monitor over tumbling or sliding windows, with one ring buffer per column. */
/** Largest window: its ring buffers are typed arrays of this many values per column. */
const MAX_WINDOW = 100_000_000;

export function createDriftMonitor(options: DriftMonitorOptions): DriftMonitor {
  const { window } = options;
  if (window === null || typeof window !== 'object' || (window.type !== 'tumbling' && window.type !== 'sliding')) {
    throw new DriftError(
      'INVALID_INPUT',
      `window.type must be 'tumbling' or 'sliding', got ${JSON.stringify((window as { type?: unknown } | null)?.type)}`,
    );
  }
  if (!Number.isInteger(window.size) || window.size < 2 || window.size > MAX_WINDOW) {
    throw new DriftError('INVALID_INPUT', `window.size must be an integer in [2, ${MAX_WINDOW}], got ${window.size}`);
  }
  const step = window.step ?? Math.ceil(window.size / 10);
  if (!Number.isInteger(step) || step < 1) {
    throw new DriftError('INVALID_INPUT', `window.step must be a positive integer, got ${step}`);
  }
  const driftOptions = options.options ?? {};
  checkDriftOptions(driftOptions);
  const reference = prepareReference(options.reference, driftOptions.columnMapping);
  const wanted = driftOptions.include ? new Set(driftOptions.include) : null;
  // One ring of values per column (numbers, or labels), and one of read codes: how each record's value was read
  // (native or missing, absent key, converted or unreadable, with the value's kind), so every window knows its
  // schema problems exactly as detectDrift would find them in the raw records.
  const rings: { name: string; column: Column; ring: NumberRing | StringRing; codes: CodeRing; examples: string[] }[] =
    reference.columns
      .filter((c) => wanted === null || wanted.has(c.name))
      .map((c) => ({
        name: c.name,
        column: c.type,
        ring: c.type === 'numerical' || c.type === 'datetime' ? numberRing(window.size) : stringRing(window.size),
        codes: codeRing(window.size),
        examples: [],
      }));
  if (rings.every((r) => r.column === 'datetime')) {
    throw new DriftError('INVALID_INPUT', 'the reference has no columns to monitor');
  }
  const known = new Set([...reference.columns.map((c) => c.name), ...(driftOptions.columnMapping?.exclude ?? [])]);
  // Keys the reference lacks, with the update count at which each was last seen (bounded: the first 1,000 names).
  const unknownKeys = new Map<string, number>();

  let buffered = 0;
  let updates = 0;
  let evaluations = 0;
  let driftEvents = 0;
  let brokenEvents = 0;
  let sinceEvaluation = 0;
  let lastShare: number | null = null;
  let lastStatus: DatasetStatus | null = null;

  const evaluate = (): DriftEvent => {
    // no prototype: a column named "__proto__" is an own key here, as in the records and the profile
    const data: Record<string, ArrayLike<unknown>> = Object.create(null);
    const census = new Map<string, CurrentCensus>();
    for (const r of rings) {
      if (r.codes.count(ABSENT) === buffered) continue; // no record of the window had the key: a missing column
      data[r.name] = r.ring.toArray();
      census.set(r.name, censusOf(r.codes, r.examples));
    }
    const newColumns = [...unknownKeys].filter(([, seen]) => seen > updates - buffered).map(([name]) => name);
    const report = detectDriftPrepared(
      reference,
      data,
      { ...driftOptions, onProgress: undefined, include: rings.map((r) => r.name) },
      { census, newColumns, rows: buffered },
    );
    const event: DriftEvent = {
      index: evaluations++,
      updates,
      windowSize: buffered,
      driftedColumns: report.columns.filter((c) => c.drifted).map((c) => c.column),
      status: report.dataset.status,
      report,
    };
    lastShare = report.dataset.share;
    lastStatus = report.dataset.status;
    sinceEvaluation = 0;
    options.onEvaluation?.(event);
    if (report.dataset.status === 'broken') {
      brokenEvents++;
      options.onBroken?.(event);
    } else if (report.dataset.drifted || report.targetDrift === true || report.predictionDrift === true) {
      driftEvents++;
      options.onDrift?.(event);
    }
    return event;
  };

  const clear = () => {
    for (const r of rings) {
      r.ring.clear();
      r.codes.clear();
      r.examples.length = 0;
    }
    buffered = 0;
  };

  const update = (record: Record<string, unknown>): DriftEvent | null => {
    if (record === null || typeof record !== 'object')
      throw new DriftError('INVALID_INPUT', 'a record must be an object');
    for (const r of rings) {
      const v = record[r.name];
      let code: number;
      if (v === undefined && !Object.hasOwn(record, r.name)) {
        code = ABSENT;
        if (r.column === 'numerical' || r.column === 'datetime') (r.ring as NumberRing).push(Number.NaN);
        else (r.ring as StringRing).push(null);
      } else {
        if (r.column === 'numerical' || r.column === 'datetime') (r.ring as NumberRing).push(readNumber(r.column, v));
        else (r.ring as StringRing).push(readText(r.column, v));
        code = encodeRead(lastReadCode(), v);
        if (lastReadCode() === READ.invalid) {
          const one = emptyCensus();
          countRead(one, READ.invalid, v);
          r.examples.push(one.examples[0] as string);
          if (r.examples.length > 3) r.examples.shift();
        }
      }
      r.codes.push(code);
    }
    for (const key in record) {
      if (known.has(key) || !Object.hasOwn(record, key)) continue;
      if (unknownKeys.has(key) || unknownKeys.size < 1000) unknownKeys.set(key, updates + 1);
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
      brokenEvents,
      lastStatus,
      buffered,
      windowSize: window.size,
      bufferCapacity: Math.max(...rings.map((r) => Math.max(r.ring.capacity, r.ring.length))),
      columns: rings.length,
      lastShare,
    }),
    reset: clear,
  };
}
