import { z } from 'zod';
import { invalidDriftInput } from '../_internal/options.js';
import { wassersteinColumnScan } from '../_internal/wasserstein-buckets.js';
import { DriftError } from '../errors.js';
import {
  type ColumnMapping,
  type ColumnRole,
  type DataInput,
  type RecordsData,
  resolveColumns,
  type TypedColumn,
  toRawColumns,
  typeColumn,
  typeData,
} from '../profile/input.js';
import { ensureProfile, isProfile, type Profile } from '../profile/schema.js';
import { equalEdges } from '../profile/summary.js';
import { referenceSketch, runSketchTest, SKETCH_TESTS, sketchHistogram } from '../sketch/drift-tests.js';
import { type ColumnJob, PARALLEL_COLUMN_FROM, resolveWorkers, runColumnJobs } from './parallel.js';
import { type CurrentCensus, readCurrentColumn } from './read-current.js';
import { recordsToRawColumns } from './read-records.js';
import {
  type ColumnDrift,
  DRIFT_REPORT_KIND,
  DRIFT_REPORT_SCHEMA_VERSION,
  DRIFT_TEST_NAMES,
  type DriftHistogram,
  type DriftReport,
  type DriftTestName,
  type SchemaCheck,
} from './schema.js';
import { DEFAULT_THRESHOLDS, selectDriftTest, TEST_KIND } from './select-test.js';
import { sortedHistogram, sortedValues, unsortedHistogram } from './sorted.js';
import { runStatTest, type StatOutcome, scanUnsorted } from './stat-tests.js';
import { type TextDriftOptions, textDrift, textDriftOptionsSchema } from './text-drift.js';

/** Per-column override of the drift test and/or its threshold. */
export interface ColumnDriftOverride {
  /** The test to run instead of the default choice. @default Evidently's rule ({@link selectDriftTest}) */
  test?: DriftTestName;
  /** The threshold of that test. @default the test's threshold from `thresholds`, else its default */
  threshold?: number;
}

/** Options of {@link detectDrift}. */
export interface DriftOptions {
  /** Column type overrides, target/prediction and excluded columns (ignored for a profile reference, whose types are fixed). @default types inferred from the reference */
  columnMapping?: ColumnMapping;
  /** Per-column test and threshold, e.g. `{ age: { test: 'psi', threshold: 0.2 } }`. @default {} */
  columns?: Record<string, ColumnDriftOverride>;
  /** Only test these columns. @default every column of the reference */
  include?: string[];
  /** Test per column type, replacing the default rule (Evidently's `num_stattest` / `cat_stattest`). @default {} */
  tests?: Partial<Record<'numerical' | 'categorical' | 'boolean' | 'text', DriftTestName>>;
  /** Threshold per test, e.g. `{ wasserstein: 0.2, ks: 0.01 }`. @default {@link DEFAULT_THRESHOLDS} */
  thresholds?: Partial<Record<DriftTestName, number>>;
  /** Share of drifted feature columns from which the dataset counts as drifted. @default 0.5 */
  datasetDriftShare?: number;
  /** Bins of the numeric histograms drawn in reports. @default 20 */
  bins?: number;
  /** Options of the text (domain-classifier) drift test. @default {} */
  text?: TextDriftOptions;
  /** Called after each column with the number done and the total. @default undefined */
  onProgress?: (done: number, total: number) => void;
  /** Timestamp recorded in the report. @default undefined */
  createdAt?: string;
  /**
   * Worker threads that test large numerical columns (50,000+ values with the current ones) alongside the calling
   * thread, which stays blocked until every column is done, as without workers. `'auto'` uses one per core beyond
   * the calling thread, at most one per two large columns and 8, when the large columns hold 2 million values or
   * more together; `0` tests everything in the calling thread.
   * Node only (in browsers everything runs in the calling thread); the report is the same either way.
   * @default 'auto'
   */
  workers?: number | 'auto';
}

const testName = z.enum(DRIFT_TEST_NAMES);
const listSchema = z.array(z.string()).optional();
/** Schema of the data fields of {@link DriftOptions} (callbacks are checked to be functions). */
export const driftOptionsSchema = z.object({
  columnMapping: z
    .object({
      numerical: listSchema,
      categorical: listSchema,
      text: listSchema,
      boolean: listSchema,
      datetime: listSchema,
      target: z.string().optional(),
      prediction: z.string().optional(),
      exclude: listSchema,
    })
    .optional(),
  include: listSchema,
  columns: z
    .record(z.string(), z.object({ test: testName.optional(), threshold: z.number().nonnegative().optional() }))
    .optional(),
  tests: z.partialRecord(z.enum(['numerical', 'categorical', 'boolean', 'text']), testName).optional(),
  thresholds: z.partialRecord(testName, z.number().nonnegative()).optional(),
  datasetDriftShare: z.number().min(0).max(1).optional(),
  bins: z.number().int().min(1).max(10_000).optional(),
  text: textDriftOptionsSchema.optional(),
  onProgress: z.function().optional(),
  createdAt: z.string().optional(),
  workers: z.union([z.literal('auto'), z.number().int().min(0).max(64)]).optional(),
});

/** Validates detectDrift options, throwing `DriftError('INVALID_INPUT')` with the field paths. */
export function checkDriftOptions(options: DriftOptions): void {
  const res = driftOptionsSchema.safeParse(options);
  if (!res.success) {
    throw invalidDriftInput('detectDrift: invalid options', res.error);
  }
}

/** Reference data prepared once: typed columns plus, for a profile, the full-data sizes. */
export interface PreparedReference {
  rows: number;
  columns: TypedColumn[];
  /** Non-missing reference values per column in the full data (a profile's count − missing). */
  sizes: Map<string, number>;
}

/** Data accepted as the reference of {@link detectDrift}: columns, records or a profile. */
export type ReferenceInput = DataInput | Profile;

/** Turns a profile or raw data into typed reference columns (a profile contributes its reservoir samples). */
export function prepareReference(reference: ReferenceInput, mapping?: ColumnMapping): PreparedReference {
  if (isProfile(reference)) {
    const profile = ensureProfile(reference);
    const sizes = new Map<string, number>();
    const columns = profile.columns
      .filter((c) => !(mapping?.exclude ?? []).includes(c.name))
      .map((c): TypedColumn => {
        sizes.set(c.name, c.count - c.missing);
        const numeric = c.type === 'numerical' || c.type === 'datetime';
        return {
          name: c.name,
          type: c.type,
          role: c.role,
          rows: c.count,
          missing: c.missing,
          ...(numeric ? { numbers: Float64Array.from(c.sample as number[]) } : { strings: c.sample as string[] }),
          // schemaVersion 2: the quantile sketch of every value (KS, Wasserstein and PSI use it)
          ...(numeric ? referenceSketch(c) : {}),
        };
      });
    return { rows: profile.rows, columns, sizes };
  }
  let rows: number;
  let columns: TypedColumn[];
  if (Array.isArray(reference)) {
    const raw = recordsToRawColumns(reference);
    rows = raw.rows;
    columns = resolveColumns(raw.columns, mapping).map((c) => typeColumn(c.name, c.type, c.role, c.values));
  } else ({ rows, columns } = typeData(reference, mapping));
  return { rows, columns, sizes: new Map(columns.map((c) => [c.name, c.rows - c.missing])) };
}

/**
 * Detects drift between reference data (columns, records or a profile) and current data, column by column with
 * the test Evidently would choose (or the overrides), and decides dataset drift from the share of drifted features.
 */
export function detectDrift(reference: ReferenceInput, current: DataInput, options: DriftOptions = {}): DriftReport {
  checkDriftOptions(options);
  return detectDriftPrepared(prepareReference(reference, options.columnMapping), current, options);
}

/** What a caller that typed the current values itself (the streaming monitor) knows about the raw feed. */
export interface FeedFacts {
  /** Per column: conversions and unreadable values counted when the raw values were read; replaces the census. */
  census?: ReadonlyMap<string, CurrentCensus>;
  /** Raw columns the reference lacks, which the caller did not pass as data. */
  newColumns?: readonly string[];
  /** Rows of the raw feed, when the data passed may hold no column (records none of which had a reference key). */
  rows?: number;
}

/** {@link detectDrift} against an already prepared reference (what monitors call on every window). */
export function detectDriftPrepared(
  ref: PreparedReference,
  current: DataInput,
  options: DriftOptions = {},
  feed: FeedFacts = {},
): DriftReport {
  const raw = Array.isArray(current) ? recordsToRawColumns(current as RecordsData) : toRawColumns(current);
  const rows = raw.columns.length > 0 ? raw.rows : (feed.rows ?? raw.rows);
  const currentByName = new Map(raw.columns.map((c) => [c.name, c.values]));
  const selected = options.include ? new Set(options.include) : null;
  if (selected) {
    for (const name of selected) {
      if (!ref.columns.some((c) => c.name === name)) {
        throw new DriftError('INVALID_INPUT', `column "${name}" is not in the reference`);
      }
    }
  }
  const excluded = new Set(options.columnMapping?.exclude ?? []);
  const referenceNames = new Set(ref.columns.map((c) => c.name));
  const schema: SchemaCheck = {
    missing: [],
    new: [...new Set([...raw.columns.map((c) => c.name), ...(feed.newColumns ?? [])])].filter(
      (name) => !referenceNames.has(name) && !excluded.has(name),
    ),
    typeChanged: [],
    empty: [],
    converted: [],
  };
  const todo = ref.columns.filter((c) => selected === null || selected.has(c.name));
  const results: ColumnDrift[] = [];
  const skipped: DriftReport['skipped'] = [];
  let done = 0;
  // Large numerical columns may be tested on worker threads (parallel.ts): they are collected as jobs below.
  let largeColumns = 0;
  let largeValues = 0;
  for (const r of todo) {
    const pooled = (r.numbers?.length ?? 0) + (currentByName.get(r.name)?.length ?? 0);
    if (r.numbers && !r.sketch && pooled >= PARALLEL_COLUMN_FROM) {
      largeColumns++;
      largeValues += pooled;
    }
  }
  const threads = rows > 0 ? resolveWorkers(options.workers, largeColumns, largeValues) : 0;
  const jobs: ColumnJob[] = [];
  for (const r of todo) {
    // A target may be absent or unlabelled in live data (labels arrive later): skipped, not a broken feed.
    const optional = r.role === 'target';
    const values = currentByName.get(r.name);
    if (rows === 0) {
      if (!optional) schema.empty.push(r.name);
      skipped.push({ column: r.name, reason: 'the current data has no rows' });
    } else if (values === undefined) {
      if (!optional) schema.missing.push(r.name);
      skipped.push({ column: r.name, reason: 'missing from current data' });
    } else {
      const read = readCurrentColumn(r.name, r.type, r.role, values);
      const c = read.column;
      const census = feed.census?.get(r.name) ?? read.census;
      for (const [from, count] of census.converted) schema.converted.push({ column: r.name, from, to: r.type, count });
      const refN = r.numbers?.length ?? r.strings?.length ?? 0;
      if (census.invalid > 0) {
        const found = [...census.invalidKinds].sort();
        schema.typeChanged.push({
          column: r.name,
          expected: r.type,
          found,
          invalid: census.invalid,
          examples: census.examples,
        });
        skipped.push({
          column: r.name,
          reason: `type changed: expected ${r.type}, found ${found.join('/')} (${census.invalid} of ${c.rows} values cannot be read as ${r.type})`,
        });
      } else if (refN > 0 && c.rows === c.missing) {
        if (!optional) schema.empty.push(r.name);
        skipped.push({ column: r.name, reason: 'no non-missing values in the current data' });
      } else if (r.type === 'datetime' && !options.columns?.[r.name]?.test) {
        skipped.push({ column: r.name, reason: 'datetime columns are not tested for drift' });
      } else if (
        threads > 0 &&
        r.numbers &&
        c.numbers &&
        !r.sketch &&
        r.numbers.length + c.numbers.length >= PARALLEL_COLUMN_FROM
      ) {
        const referenceSize = ref.sizes.get(r.name) ?? r.rows - r.missing;
        jobs.push({
          name: r.name,
          type: r.type,
          role: r.role,
          referenceSize,
          ref: { rows: r.rows, missing: r.missing, numbers: r.numbers },
          cur: { rows: c.rows, missing: c.missing, numbers: c.numbers },
        });
        continue; // progress is reported when the job is done
      } else {
        try {
          results.push(columnDrift(r, c, ref.sizes.get(r.name) ?? r.rows - r.missing, options));
        } catch (err) {
          // Data that cannot be tested (too small, a degenerate reference) is reported; a misconfiguration
          // (INVALID_INPUT) throws.
          if (!(err instanceof DriftError) || err.code === 'INVALID_INPUT') throw err;
          skipped.push({ column: r.name, reason: err.message.replace(/^\[@mlops\/drift\] /, '') });
        }
      }
    }
    done++;
    options.onProgress?.(done, todo.length);
  }
  if (jobs.length > 0) {
    const outcomes = runColumnJobs(
      jobs,
      threads,
      jobOptions(options),
      (job) => columnDriftOfJob(job, options),
      () => {
        done++;
        options.onProgress?.(done, todo.length);
      },
    );
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) results.push(outcome.value);
      else if (outcome.code === null) throw Object.assign(new Error(outcome.message), { stack: outcome.stack });
      else {
        const message = outcome.message.replace(/^\[@mlops\/drift\] /, '');
        if (outcome.code === 'INVALID_INPUT') throw new DriftError('INVALID_INPUT', message);
        skipped.push({ column: (jobs[i] as ColumnJob).name, reason: message });
      }
    });
    // the same order as without workers: the reference's
    const position = new Map(todo.map((c, i) => [c.name, i]));
    const at = (name: string) => position.get(name) as number;
    results.sort((a, b) => at(a.column) - at(b.column));
    skipped.sort((a, b) => at(a.column) - at(b.column));
  }
  const features = results.filter((c) => c.role === 'feature');
  const drifted = features.filter((c) => c.drifted).length;
  const share = features.length > 0 ? drifted / features.length : 0;
  const threshold = options.datasetDriftShare ?? 0.5;
  const roleDrift = (role: ColumnRole) => results.find((c) => c.role === role)?.drifted ?? null;
  const broken = schema.missing.length + schema.typeChanged.length + schema.empty.length > 0;
  const datasetDrifted = features.length > 0 && share >= threshold;
  const report: DriftReport = {
    kind: DRIFT_REPORT_KIND,
    schemaVersion: DRIFT_REPORT_SCHEMA_VERSION,
    dataset: {
      status: broken ? 'broken' : datasetDrifted ? 'drifted' : 'ok',
      drifted: broken ? null : datasetDrifted,
      share,
      driftedColumns: drifted,
      columns: features.length,
      threshold,
    },
    schema,
    targetDrift: roleDrift('target'),
    predictionDrift: roleDrift('prediction'),
    reference: { rows: ref.rows },
    current: { rows },
    columns: results,
    skipped,
  };
  if (options.createdAt !== undefined) report.createdAt = options.createdAt;
  return report;
}

/** Distinct values in both samples, counted up to `cap` (the selection rule only asks whether u ≤ 2 or ≤ 5). */
function uniqueCount(r: TypedColumn, c: TypedColumn, cap = 6): number {
  const s = new Set<number | string>();
  for (const values of [r.numbers ?? r.strings ?? [], c.numbers ?? c.strings ?? []]) {
    for (let i = 0; i < values.length && s.size < cap; i++) s.add(values[i] as number | string);
  }
  return s.size;
}

/** The options a column test reads, without callbacks (what a worker thread is given). */
function jobOptions(options: DriftOptions): DriftOptions {
  const { columns, tests, thresholds, bins, text } = options;
  return { columns, tests, thresholds, bins, text };
}

/** One large numerical column's drift, as detectDrift computes it in the calling thread or a worker thread. */
export function columnDriftOfJob(job: ColumnJob, options: DriftOptions): ColumnDrift {
  const { name, type, role } = job;
  const r: TypedColumn = { name, type, role, rows: job.ref.rows, missing: job.ref.missing, numbers: job.ref.numbers };
  const c: TypedColumn = { name, type, role, rows: job.cur.rows, missing: job.cur.missing, numbers: job.cur.numbers };
  return columnDrift(r, c, job.referenceSize, options);
}

function columnDrift(r: TypedColumn, c: TypedColumn, referenceSize: number, options: DriftOptions): ColumnDrift {
  const refN = r.numbers?.length ?? r.strings?.length ?? 0;
  const curN = c.numbers?.length ?? c.strings?.length ?? 0;
  if (refN === 0 || curN === 0) {
    throw new DriftError('EMPTY_INPUT', `no non-missing values in the ${refN === 0 ? 'reference' : 'current'} data`);
  }
  const override = options.columns?.[r.name] ?? {};
  const u = uniqueCount(r, c);
  const test =
    override.test ??
    (r.type !== 'datetime' ? options.tests?.[r.type] : undefined) ??
    selectDriftTest({ type: r.type, referenceSize, uniqueValues: u }) ??
    'ks';
  const threshold = override.threshold ?? options.thresholds?.[test] ?? DEFAULT_THRESHOLDS[test];
  const testKind = TEST_KIND[test];
  const base = {
    column: r.name,
    type: r.type,
    role: r.role,
    test,
    testKind,
    threshold,
    reference: { size: r.sketch && SKETCH_TESTS.has(test) ? r.sketch.n : refN, missing: r.missing },
    current: { size: curN, missing: c.missing },
  };
  if (test === 'domain-classifier') {
    if (!r.strings || !c.strings) throw new DriftError('INVALID_INPUT', 'domain-classifier needs a text column');
    const t = textDrift(r.strings, c.strings, { ...options.text, threshold });
    return {
      ...base,
      statistic: t.auc,
      pValue: t.pValue,
      score: t.auc,
      drifted: t.drifted,
      histogram: t.histogram,
      text: {
        auc: t.auc,
        permutationBaseline: t.permutationBaseline,
        tokenDistance: t.tokenDistance,
        outOfVocabularyRate: t.outOfVocabularyRate,
        topCurrentTokens: t.topCurrentTokens,
      },
    };
  }
  const bins = options.bins ?? 20;
  let outcome: StatOutcome | null = runSketchTest(test, r, c);
  let histogram: DriftHistogram | null = null;
  if (outcome === null && test === 'wasserstein' && r.numbers && c.numbers) {
    // Distance, reference std and both histograms in two scans of each column (buckets, no sorting, from 1,024
    // values together; below that the scan sorts): the same numbers as the sorted path to ~1e-14.
    const scan = wassersteinColumnScan(r.numbers, c.numbers, (min, max) => equalEdges(min, max, bins));
    r.std ??= scan.referenceStd;
    outcome = { statistic: scan.distance / Math.max(r.std, 0.001), pValue: null };
    if (moreThanTenValues(r.numbers, c.numbers)) {
      histogram = { kind: 'numeric', edges: scan.edges, reference: scan.reference, current: scan.current };
    }
  }
  outcome ??= runStatTest(test, r, c);
  if (Number.isNaN(outcome.statistic) || (testKind === 'p-value' && outcome.pValue === null)) {
    throw new DriftError('INSUFFICIENT_DATA', `${test} is undefined for these samples`);
  }
  const score = testKind === 'p-value' ? (outcome.pValue as number) : outcome.statistic;
  const drifted = testKind === 'p-value' ? score <= threshold : score >= threshold;
  return {
    ...base,
    // JSON has no Infinity: an infinite statistic (chi-square with a category unseen in the reference) becomes
    // null, an infinite distance the largest finite number, so the report always round-trips.
    statistic: Number.isFinite(outcome.statistic) ? outcome.statistic : null,
    pValue: outcome.pValue,
    score: Number.isFinite(score) ? score : Number.MAX_VALUE,
    drifted,
    histogram: histogram ?? sketchHistogram(r, c, bins) ?? driftHistogram(r, c, bins),
  };
}

/** Whether the two samples hold more than ten distinct values (numeric histograms), else a bar per value. */
function moreThanTenValues(a: Float64Array, b: Float64Array): boolean {
  const distinct = new Set<number>();
  for (const x of [a, b]) {
    for (let i = 0; i < x.length && distinct.size <= 10; i++) distinct.add(x[i] as number);
  }
  return distinct.size > 10;
}

const OTHER = '(other)';

/** Shared-bin histograms of reference and current: equal-width bins for numbers, top categories otherwise. */
export function driftHistogram(r: TypedColumn, c: TypedColumn, bins: number): DriftHistogram {
  if (r.numbers && c.numbers) {
    // Large columns not sorted yet are counted in one pass each; the counts are the same as from sorted values.
    const unsorted = scanUnsorted(r, c) && !(r.sorted && c.sorted);
    const rs = unsorted ? r.numbers : sortedValues(r, 'histogram');
    const cs = unsorted ? c.numbers : sortedValues(c, 'histogram');
    if (moreThanTenValues(rs, cs)) {
      let min: number;
      let max: number;
      if (unsorted) {
        min = Number.POSITIVE_INFINITY;
        max = Number.NEGATIVE_INFINITY;
        for (const a of [rs, cs]) {
          for (let i = 0; i < a.length; i++) {
            const x = a[i] as number;
            if (x < min) min = x;
            if (x > max) max = x;
          }
        }
      } else {
        min = Math.min(rs[0] as number, cs[0] as number);
        max = Math.max(rs[rs.length - 1] as number, cs[cs.length - 1] as number);
      }
      const edges = equalEdges(min, max, bins);
      const count = unsorted ? unsortedHistogram : sortedHistogram;
      return { kind: 'numeric', edges, reference: count(rs, edges), current: count(cs, edges) };
    }
    return categoricalHistogram(Array.from(r.numbers, String), Array.from(c.numbers, String), 20, true);
  }
  return categoricalHistogram(r.strings ?? [], c.strings ?? [], 20, false);
}

function categoricalHistogram(ref: string[], cur: string[], top: number, numericOrder: boolean): DriftHistogram {
  const rc = new Map<string, number>();
  const cc = new Map<string, number>();
  for (const v of ref) rc.set(v, (rc.get(v) ?? 0) + 1);
  for (const v of cur) cc.set(v, (cc.get(v) ?? 0) + 1);
  const shareOf = (v: string) => (rc.get(v) ?? 0) / ref.length + (cc.get(v) ?? 0) / cur.length;
  let labels = [...new Set([...rc.keys(), ...cc.keys()])].sort((a, b) => shareOf(b) - shareOf(a) || (a < b ? -1 : 1));
  const rest = labels.slice(top);
  labels = labels.slice(0, top);
  if (numericOrder) labels.sort((a, b) => Number(a) - Number(b));
  const out = {
    kind: 'categorical' as const,
    labels,
    reference: labels.map((l) => rc.get(l) ?? 0),
    current: labels.map((l) => cc.get(l) ?? 0),
  };
  if (rest.length > 0) {
    out.labels.push(OTHER);
    out.reference.push(rest.reduce((s, l) => s + (rc.get(l) ?? 0), 0));
    out.current.push(rest.reduce((s, l) => s + (cc.get(l) ?? 0), 0));
  }
  return out;
}
