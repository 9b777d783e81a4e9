// The zod schemas of gates: declarative (JSON, over HTTP) and in-process (custom functions allowed), and of a
// promotion's comparison.
import { pgText } from '@mlops/core';
import { z } from 'zod';
import type { DeclarativeGate, Gate, GateComparison } from './types.js';

const metricName = pgText().min(1).max(256);
const direction = z.enum(['max', 'min']);
const ifNoIncumbent = z.enum(['pass', 'fail']).optional();
const finite = z.number().refine(Number.isFinite, 'must be a finite number');

const thresholdSchema = z.strictObject({
  metric: metricName,
  op: z.enum(['gt', 'gte', 'lt', 'lte', 'eq', 'neq']),
  value: finite,
});
const notWorseSchema = z.strictObject({
  metric: metricName,
  notWorseThanIncumbentBy: finite.pipe(z.number().min(0)),
  direction,
  ifNoIncumbent,
});
const improvesSchema = z.strictObject({
  metric: metricName,
  improvesOnIncumbentBy: finite.pipe(z.number().min(0)),
  direction,
  ifNoIncumbent,
});

const figures = z.record(metricName, finite);
const isoTime = z.iso.datetime({ offset: true });

/** The zod schema of a {@link GateComparison} (a promotion's `comparison`, JSON over HTTP). */
export const gateComparisonSchema: z.ZodType<GateComparison> = z.strictObject({
  data: z.strictObject({
    name: pgText().min(1).max(256),
    source: pgText().min(1).max(64).optional(),
    rows: z.int().min(0),
    from: isoTime.optional(),
    to: isoTime.optional(),
    datasetVersion: pgText().min(1).max(512).optional(),
  }),
  candidate: z.strictObject({ version: z.int().positive(), metrics: figures }),
  incumbent: z.strictObject({ version: z.int().positive(), metrics: figures }).nullable(),
});

const MAX_DEPTH = 16;
const GATE_HINT =
  'expected a gate: { metric, op, value }, { metric, notWorseThanIncumbentBy, direction }, ' +
  '{ metric, improvesOnIncumbentBy, direction }, { all: [...] }, { any: [...] } or { not: gate }';

type Issue = { path: PropertyKey[]; message: string };

function checkGate(value: unknown, path: PropertyKey[], depth: number, issues: Issue[], fns: boolean): void {
  if (depth > MAX_DEPTH) {
    issues.push({ path, message: `gates nest at most ${MAX_DEPTH} levels deep` });
    return;
  }
  if (typeof value === 'function') {
    if (fns) return;
    issues.push({ path, message: 'custom gate functions run in-process only; send a declarative gate' });
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push({ path, message: GATE_HINT });
    return;
  }
  const obj = value as Record<string, unknown>;
  for (const key of ['all', 'any'] as const) {
    if (key in obj) {
      const extra = Object.keys(obj).filter((k) => k !== key);
      if (extra.length > 0) issues.push({ path, message: `unexpected keys next to "${key}": ${extra.join(', ')}` });
      const list = obj[key];
      if (!Array.isArray(list) || list.length === 0) {
        issues.push({ path: [...path, key], message: 'expected a non-empty array of gates' });
        return;
      }
      list.forEach((child, i) => {
        checkGate(child, [...path, key, i], depth + 1, issues, fns);
      });
      return;
    }
  }
  if ('not' in obj) {
    const extra = Object.keys(obj).filter((k) => k !== 'not');
    if (extra.length > 0) issues.push({ path, message: `unexpected keys next to "not": ${extra.join(', ')}` });
    checkGate(obj.not, [...path, 'not'], depth + 1, issues, fns);
    return;
  }
  const schema =
    'notWorseThanIncumbentBy' in obj
      ? notWorseSchema
      : 'improvesOnIncumbentBy' in obj
        ? improvesSchema
        : 'op' in obj || 'value' in obj
          ? thresholdSchema
          : undefined;
  if (!schema) {
    issues.push({ path, message: GATE_HINT });
    return;
  }
  const r = schema.safeParse(value);
  if (!r.success)
    for (const issue of r.error.issues) issues.push({ path: [...path, ...issue.path], message: issue.message });
}

function gateSchema<G>(fns: boolean): z.ZodType<G> {
  return z.unknown().transform((value, ctx) => {
    const issues: Issue[] = [];
    checkGate(value, [], 0, issues, fns);
    if (issues.length === 0) return value as G;
    for (const issue of issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  }) as unknown as z.ZodType<G>;
}

/**
 * The zod schema of a {@link DeclarativeGate}. It picks the branch from the keys present, so a mistake is reported
 * at its field (`gate.all.1.value: must be a finite number`) rather than as "no union member matched".
 */
export const declarativeGateSchema: z.ZodType<DeclarativeGate> = gateSchema<DeclarativeGate>(false);

/** The zod schema of an in-process {@link Gate}: declarative nodes, with custom functions allowed anywhere. */
export const inProcessGateSchema: z.ZodType<Gate> = gateSchema<Gate>(true);
