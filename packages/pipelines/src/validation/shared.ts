import type { DriftReport } from '@mlops/drift';
import type { Expectation } from './expectations.js';
import type { Outcome } from './report.js';

/** True for strings that are empty or whitespace only. */
export function isBlank(v: unknown): boolean {
  return typeof v === 'string' && v.trim() === '';
}

/** A Date, epoch-ms number or date string as epoch milliseconds; NaN when impossible. */
export function toMillis(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Date.parse(v);
  return Number.NaN;
}

/** Decides a class-shares expectation from the value counts. */
export function classSharesOutcome(
  e: Extract<Expectation, { kind: 'class_shares' }>,
  counts: Map<string, number>,
): Outcome {
  const total = [...counts.values()].reduce((s, n) => s + n, 0);
  const shares: Record<string, number> = {};
  for (const [k, n] of [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) shares[k] = n / total;
  for (const k of Object.keys(e.shares ?? {})) shares[k] ??= 0;
  const violations: { value: string; share: number; min: number | null; max: number | null }[] = [];
  for (const [value, share] of Object.entries(shares)) {
    const own = e.shares?.[value];
    const min = own?.min ?? e.min;
    const max = own?.max ?? e.max;
    if ((min !== undefined && share < min) || (max !== undefined && share > max)) {
      violations.push({ value, share, min: min ?? null, max: max ?? null });
    }
  }
  return {
    success: total > 0 && violations.length === 0,
    observed: { total, shares },
    unexpectedCount: violations.length,
    unexpectedShare: null,
    samples: violations,
    ...(total === 0 ? { error: 'no non-null values' } : {}),
  };
}

/** Decides a distribution expectation from a drift report. */
export function distributionOutcome(
  e: Extract<Expectation, { kind: 'distribution' }>,
  run: () => DriftReport,
): Outcome {
  const report = run();
  const tested = report.columns.length;
  const drifted = report.columns.filter((c) => c.drifted);
  const share = tested > 0 ? drifted.length / tested : 0;
  // A broken feed (a reference column missing, retyped or empty) fails with its reason: never a pass on what is left.
  const broken = report.dataset.status === 'broken';
  const s = report.schema;
  const problems = [
    s.missing.length ? `missing: ${s.missing.join(', ')}` : '',
    s.typeChanged.length ? `type changed: ${s.typeChanged.map((t) => t.column).join(', ')}` : '',
    s.empty.length ? `empty: ${s.empty.join(', ')}` : '',
  ].filter(Boolean);
  return {
    success: !broken && tested > 0 && share <= e.maxDriftShare,
    observed: {
      status: report.dataset.status,
      schema: report.schema,
      driftShare: share,
      tested,
      drifted: drifted.length,
      columns: report.columns.map((c) => ({
        column: c.column,
        test: c.test,
        score: c.score,
        threshold: c.threshold,
        drifted: c.drifted,
      })),
      skipped: report.skipped,
    },
    unexpectedCount: drifted.length,
    unexpectedShare: tested > 0 ? share : null,
    samples: drifted.map((c) => ({ column: c.column, test: c.test, score: c.score, threshold: c.threshold })),
    ...(broken
      ? { error: `broken feed: ${problems.join('; ')}` }
      : tested === 0
        ? { error: 'no column could be tested for drift' }
        : {}),
  };
}
