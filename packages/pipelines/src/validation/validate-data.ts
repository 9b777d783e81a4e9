import { MlopsError } from '@mlops/core';
import { type DataInput, detectDrift } from '@mlops/drift';
import type { Expectation } from './expectations.js';
import { buildReport, type ExpectationResult, type Outcome, toResult, type ValidationReport } from './report.js';
import { classSharesOutcome, distributionOutcome, isBlank, toMillis } from './shared.js';

/** Options of {@link validateData}. */
export interface ValidateDataOptions {
  /**
   * Offending rows (or values) kept per expectation in the report.
   * @default 5
   */
  sampleLimit?: number;
  /**
   * Other datasets, by name, for `expectReferences({ table })`.
   * @default {}
   */
  tables?: Record<string, DataInput>;
  /**
   * Name of the data in the report.
   * @default 'data'
   */
  target?: string;
  /**
   * Current time, for freshness checks and the report's timestamp.
   * @default new Date()
   */
  now?: Date;
}

interface Columns {
  rows: number;
  get(name: string): ArrayLike<unknown>;
  row(i: number): Record<string, unknown>;
}

/** Reads records or column-oriented data by column, failing with `INVALID_INPUT` on a missing column. */
function columnsOf(data: DataInput, what: string): Columns {
  if (Array.isArray(data)) {
    const records = data as ReadonlyArray<Record<string, unknown>>;
    const cache = new Map<string, unknown[]>();
    const names = new Set<string>();
    for (const r of records) for (const k of Object.keys(r ?? {})) names.add(k);
    return {
      rows: records.length,
      get(name) {
        if (!names.has(name) && records.length > 0) throw missingColumn(name, what, [...names]);
        let col = cache.get(name);
        if (!col) {
          col = records.map((r) => r?.[name]);
          cache.set(name, col);
        }
        return col;
      },
      row: (i) => ({ ...records[i] }),
    };
  }
  if (data === null || typeof data !== 'object') {
    throw new MlopsError('INVALID_INPUT', { message: `${what} must be an array of records or an object of columns` });
  }
  const cols = data as Record<string, ArrayLike<unknown>>;
  const names = Object.keys(cols);
  const rows = names.length > 0 ? cols[names[0]!]!.length : 0;
  for (const n of names) {
    if (cols[n]!.length !== rows) {
      throw new MlopsError('INVALID_INPUT', {
        message: `${what}: column "${n}" has ${cols[n]!.length} values, expected ${rows}`,
      });
    }
  }
  return {
    rows,
    get(name) {
      if (!Object.hasOwn(cols, name)) throw missingColumn(name, what, names);
      return cols[name]!;
    },
    row(i) {
      const out: Record<string, unknown> = {};
      for (const n of names) out[n] = cols[n]![i];
      return out;
    },
  };
}

function missingColumn(name: string, what: string, names: string[]): MlopsError {
  return new MlopsError('INVALID_INPUT', {
    message: `Column "${name}" is not in ${what} (columns: ${names.join(', ') || 'none'})`,
    details: [{ path: name, message: 'no such column' }],
  });
}

const isNullish = (v: unknown) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));

/** Rows failing `bad`, counted, with a bounded sample of the rows (plus their index as `_row`). */
function rowCheck(cols: Columns, values: ArrayLike<unknown>, bad: (v: unknown) => boolean, limit: number): Outcome {
  let count = 0;
  const samples: unknown[] = [];
  for (let i = 0; i < values.length; i++) {
    if (!bad(values[i])) continue;
    count++;
    if (samples.length < limit) samples.push({ _row: i, ...cols.row(i) });
  }
  return {
    success: count === 0,
    observed: count,
    unexpectedCount: count,
    unexpectedShare: cols.rows > 0 ? count / cols.rows : 0,
    samples,
  };
}

function boundValue(b: number | string | Date | undefined, numeric: boolean): number | undefined {
  if (b === undefined) return undefined;
  return numeric ? Number(b) : toMillis(b);
}

function evaluate(e: Expectation, cols: Columns, opts: Required<Omit<ValidateDataOptions, 'target'>>): Outcome {
  const limit = opts.sampleLimit;
  switch (e.kind) {
    case 'not_null':
      return rowCheck(cols, cols.get(e.column), isNullish, limit);
    case 'not_empty':
      return rowCheck(cols, cols.get(e.column), (v) => isNullish(v) || isBlank(v), limit);
    case 'accepted_values': {
      const accepted = new Set(e.values.map(String));
      return rowCheck(cols, cols.get(e.column), (v) => !isNullish(v) && !accepted.has(String(v)), limit);
    }
    case 'between': {
      const numeric = typeof (e.min ?? e.max) === 'number';
      const lo = boundValue(e.min, numeric);
      const hi = boundValue(e.max, numeric);
      return rowCheck(
        cols,
        cols.get(e.column),
        (v) => {
          if (isNullish(v)) return false;
          const x = numeric ? Number(v) : toMillis(v);
          return Number.isNaN(x) || (lo !== undefined && x < lo) || (hi !== undefined && x > hi);
        },
        limit,
      );
    }
    case 'unique': {
      const columns = e.columns.map((c) => cols.get(c));
      const groups = new Map<string, { value: Record<string, unknown>; count: number }>();
      for (let i = 0; i < cols.rows; i++) {
        const values = columns.map((c) => c[i]);
        if (values.some(isNullish)) continue;
        const key = JSON.stringify(values.map((v) => (v instanceof Date ? v.toISOString() : v)));
        const g = groups.get(key);
        if (g) g.count++;
        else groups.set(key, { value: Object.fromEntries(e.columns.map((c, j) => [c, values[j]])), count: 1 });
      }
      const dups = [...groups.values()].filter((g) => g.count > 1).sort((a, b) => b.count - a.count);
      const extra = dups.reduce((s, g) => s + g.count - 1, 0);
      return {
        success: extra === 0,
        observed: { duplicateRows: extra, duplicateGroups: dups.length },
        unexpectedCount: extra,
        unexpectedShare: cols.rows > 0 ? extra / cols.rows : 0,
        samples: dups.slice(0, limit).map((g) => ({ ...g.value, count: g.count })),
      };
    }
    case 'row_count': {
      const n = cols.rows;
      return { success: (e.min === undefined || n >= e.min) && (e.max === undefined || n <= e.max), observed: n };
    }
    case 'freshness': {
      const values = cols.get(e.column);
      let newest = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < values.length; i++) {
        const t = isNullish(values[i]) ? Number.NaN : toMillis(values[i]);
        if (t > newest) newest = t;
      }
      if (!Number.isFinite(newest)) return { success: false, observed: { newest: null, ageMs: null } };
      const ageMs = opts.now.getTime() - newest;
      return { success: ageMs <= e.maxAgeMs, observed: { newest: new Date(newest), ageMs } };
    }
    case 'references': {
      const other = opts.tables[e.table];
      if (other === undefined) {
        throw new MlopsError('INVALID_INPUT', {
          message: `references(${e.column} → ${e.table}): pass the "${e.table}" data in options.tables`,
        });
      }
      const refValues = columnsOf(other, `table "${e.table}"`).get(e.refColumn);
      const known = new Set<string>();
      for (let i = 0; i < refValues.length; i++) if (!isNullish(refValues[i])) known.add(String(refValues[i]));
      return rowCheck(cols, cols.get(e.column), (v) => !isNullish(v) && !known.has(String(v)), limit);
    }
    case 'class_shares': {
      const values = cols.get(e.column);
      const counts = new Map<string, number>();
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (!isNullish(v)) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
      }
      return classSharesOutcome(e, counts);
    }
    case 'distribution': {
      const names = e.columns ?? e.reference.columns.map((c) => c.name);
      const current: Record<string, ArrayLike<unknown>> = {};
      for (const n of names) current[n] = cols.get(n);
      return distributionOutcome(e, () => detectDrift(e.reference, current, thresholdsOf(e, names)));
    }
    case 'custom_sql':
      throw new MlopsError('INVALID_INPUT', {
        message: `${e.name}: custom SQL expectations need a SQL source; use validateTable()`,
      });
  }
}

/** Drift options for a distribution expectation. */
export function thresholdsOf(e: Extract<Expectation, { kind: 'distribution' }>, names: string[]) {
  return { include: names, ...(e.thresholds ? { thresholds: e.thresholds } : {}) };
}

/**
 * Runs expectations against in-memory data (records or column-oriented) and returns the report. An expectation that
 * cannot be evaluated (a missing column, custom SQL in memory) fails with its `error` set. Call {@link assertValid} to
 * throw on failed `error` expectations.
 * @example
 * const report = validateData(rows, [expectColumn('body').notEmpty(), expectRowCount({ min: 1 })]);
 */
export function validateData(
  data: DataInput,
  expectations: readonly Expectation[],
  options: ValidateDataOptions = {},
): ValidationReport {
  const now = options.now ?? new Date();
  const cols = columnsOf(data, options.target ?? 'data');
  const opts = { sampleLimit: options.sampleLimit ?? 5, tables: options.tables ?? {}, now };
  const results: ExpectationResult[] = expectations.map((e) => {
    let outcome: Outcome;
    try {
      outcome = evaluate(e, cols, opts);
    } catch (err) {
      outcome = { success: false, observed: null, error: err instanceof Error ? err.message : String(err) };
    }
    return toResult(e, outcome);
  });
  return buildReport(options.target ?? 'data', cols.rows, results, now);
}
