import { pgText } from '@mlops/core';
import { z } from 'zod';
import type { ModelVersion } from './types.js';

/** Comparison operators of a threshold gate. */
export type GateOp = 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq';

/** `metric <op> value`, on the candidate: `{ metric: 'f1', op: 'gte', value: 0.8 }`. */
export interface MetricThresholdGate {
  metric: string;
  op: GateOp;
  value: number;
}

/** What a relative gate does when the alias has no incumbent yet. */
export type IfNoIncumbent = 'pass' | 'fail';

/**
 * The candidate is not worse than the incumbent by more than `notWorseThanIncumbentBy` (≥ 0):
 * `candidate ≥ incumbent − d` for `direction: 'max'` (higher is better), `candidate ≤ incumbent + d` for `'min'`.
 */
export interface NotWorseThanIncumbentGate {
  metric: string;
  notWorseThanIncumbentBy: number;
  direction: 'max' | 'min';
  /** @default 'pass' */
  ifNoIncumbent?: IfNoIncumbent;
}

/**
 * The candidate beats the incumbent by at least `improvesOnIncumbentBy` (≥ 0):
 * `candidate ≥ incumbent + d` for `direction: 'max'`, `candidate ≤ incumbent − d` for `'min'`.
 */
export interface ImprovesOnIncumbentGate {
  metric: string;
  improvesOnIncumbentBy: number;
  direction: 'max' | 'min';
  /** @default 'pass' */
  ifNoIncumbent?: IfNoIncumbent;
}

/** The data a {@link GateComparison} was measured on: what it is, how many labelled rows, when, which version. */
export interface GateComparisonData {
  /** What the data is, e.g. `labelled window of the prediction log` or `runs since the fault`. */
  name: string;
  /** Where it came from, e.g. `window` (the recent labelled window) or `holdout` (a held-out set). */
  source?: string;
  /** Labelled rows both models were scored on. */
  rows: number;
  /** Start of the time range the rows cover (ISO 8601). */
  from?: string;
  /** End of the time range the rows cover (ISO 8601). */
  to?: string;
  /** The dataset version the rows come from, e.g. `secom@sha256:…`. */
  datasetVersion?: string;
}

/**
 * The figures of the candidate and of the incumbent measured ON THE SAME DATA (what the continuous-training policy
 * sends with a promotion). When a promotion carries one, its gates read these figures instead of the versions'
 * registered metrics: a relative gate compares the two models on `data`, never a fresh figure with an old one.
 */
export interface GateComparison {
  data: GateComparisonData;
  /** The candidate (the promoted version) and its figures on `data`. */
  candidate: { version: number; metrics: Record<string, number> };
  /** The incumbent the figures were measured against (`null`: there was none), and its figures on `data`. */
  incumbent: { version: number; metrics: Record<string, number> } | null;
}

/** What the gate sees: the candidate and the version the alias points at now (the incumbent, if any). */
export interface GateContext {
  model: string;
  alias: string;
  candidate: ModelVersion;
  incumbent: ModelVersion | null;
  /** Both models' figures on the same data, when the promotion carries them. */
  comparison?: GateComparison;
}

/** What a custom gate returns: a boolean, or a verdict with evidence that is recorded with the decision. */
export type GateOutcome = boolean | { passed: boolean; message?: string; evidence?: Record<string, unknown> };

/** A custom gate: runs in-process only (over HTTP, gates are declarative JSON). Its `name` is recorded. */
export type GateFunction = (context: GateContext) => GateOutcome | Promise<GateOutcome>;

/** A gate tree whose leaves are comparisons or (in-process) `F`. */
export type GateNode<F> =
  | MetricThresholdGate
  | NotWorseThanIncumbentGate
  | ImprovesOnIncumbentGate
  | { all: readonly GateNode<F>[] }
  | { any: readonly GateNode<F>[] }
  | { not: GateNode<F> }
  | F;

/** A gate that can travel as JSON (over HTTP): comparisons and their combinations. */
export type DeclarativeGate = GateNode<never>;

/** A gate in-process: declarative nodes and custom functions, combined freely. */
export type Gate = GateNode<GateFunction>;

/** The evidence of one gate node: whether it passed, what it compared, and its children's evidence. */
export interface GateEvidence {
  passed: boolean;
  /** `threshold`, `notWorseThanIncumbent`, `improvesOnIncumbent`, `all`, `any`, `not`, `custom` or `none`. */
  gate: string;
  message?: string;
  children?: GateEvidence[];
  [key: string]: unknown;
}

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

/** True when the gate tree holds a custom function anywhere (so it cannot be sent over HTTP). */
export function hasGateFunction(gate: Gate | undefined): boolean {
  if (gate === undefined) return false;
  if (typeof gate === 'function') return true;
  if ('all' in gate) return gate.all.some(hasGateFunction);
  if ('any' in gate) return gate.any.some(hasGateFunction);
  if ('not' in gate) return hasGateFunction(gate.not);
  return false;
}

/** The JSON recorded for a gate: functions become `{ custom: name }`. */
export function describeGate(gate: Gate | undefined): unknown {
  if (gate === undefined) return null;
  if (typeof gate === 'function') return { custom: gate.name || 'anonymous' };
  if ('all' in gate) return { all: gate.all.map(describeGate) };
  if ('any' in gate) return { any: gate.any.map(describeGate) };
  if ('not' in gate) return { not: describeGate(gate.not) };
  return gate;
}

// Decimal thresholds (0.92 − 0.02) are not exact in binary floating point; compare with a small relative tolerance.
const EPS = 1e-9;
const tol = (x: number) => EPS * Math.max(1, Math.abs(x));

/** `a ≥ b`, up to the tolerance. */
const geq = (a: number, b: number) => a >= b - tol(b);
/** `a ≤ b`, up to the tolerance. */
const leq = (a: number, b: number) => a <= b + tol(b);

function compare(actual: number, op: GateOp, value: number): boolean {
  switch (op) {
    case 'gt':
      return actual > value + tol(value);
    case 'gte':
      return geq(actual, value);
    case 'lt':
      return actual < value - tol(value);
    case 'lte':
      return leq(actual, value);
    case 'eq':
      return Math.abs(actual - value) <= tol(value);
    case 'neq':
      return Math.abs(actual - value) > tol(value);
  }
}

function figureOf(metrics: Record<string, number>, metric: string): number | undefined {
  const v = Object.hasOwn(metrics, metric) ? metrics[metric] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function metricOf(version: ModelVersion, metric: string): number | undefined {
  return figureOf(version.metrics, metric);
}

function relative(
  kind: 'notWorseThanIncumbent' | 'improvesOnIncumbent',
  metric: string,
  d: number,
  dir: 'max' | 'min',
  noIncumbent: IfNoIncumbent,
  ctx: GateContext,
): GateEvidence {
  // With a comparison, both figures come from it (the same data); never one measured and one registered.
  const cmp = ctx.comparison;
  const candidate = cmp ? figureOf(cmp.candidate.metrics, metric) : metricOf(ctx.candidate, metric);
  const base = {
    gate: kind,
    metric,
    direction: dir,
    by: d,
    candidate: candidate ?? null,
    ...(cmp ? { measuredOn: cmp.data.name, rows: cmp.data.rows } : {}),
  };
  if (candidate === undefined) {
    return {
      ...base,
      incumbent: null,
      passed: false,
      message: cmp
        ? `the candidate's "${metric}" was not measured on ${cmp.data.name}`
        : `candidate has no metric "${metric}"`,
    };
  }
  if (ctx.incumbent === null) {
    return {
      ...base,
      incumbent: null,
      passed: noIncumbent === 'pass',
      message: `no incumbent: ${noIncumbent === 'pass' ? 'passes' : 'fails'} (ifNoIncumbent: ${noIncumbent})`,
    };
  }
  if (cmp && cmp.incumbent?.version !== ctx.incumbent.version) {
    return {
      ...base,
      incumbent: null,
      incumbentVersion: ctx.incumbent.version,
      passed: false,
      message: `the figures on ${cmp.data.name} were measured against ${cmp.incumbent ? `v${cmp.incumbent.version}` : 'no incumbent'}, the incumbent is v${ctx.incumbent.version}`,
    };
  }
  const incumbent = cmp ? figureOf(cmp.incumbent!.metrics, metric) : metricOf(ctx.incumbent, metric);
  if (incumbent === undefined) {
    return {
      ...base,
      incumbent: null,
      incumbentVersion: ctx.incumbent.version,
      passed: false,
      message: cmp
        ? `the incumbent's "${metric}" was not measured on ${cmp.data.name}`
        : `incumbent v${ctx.incumbent.version} has no metric "${metric}"`,
    };
  }
  // "not worse by more than d" allows a loss of d; "improves by d" demands a gain of d.
  const slack = kind === 'notWorseThanIncumbent' ? -d : d;
  const required = dir === 'max' ? incumbent + slack : incumbent - slack;
  const passed = dir === 'max' ? geq(candidate, required) : leq(candidate, required);
  return {
    ...base,
    incumbent,
    incumbentVersion: ctx.incumbent.version,
    required,
    passed,
    message: `${metric} ${candidate} ${dir === 'max' ? '≥' : '≤'} ${required}${cmp ? ` (both on ${cmp.data.name}, ${cmp.data.rows} rows)` : ''}: ${passed ? 'pass' : 'fail'}`,
  };
}

/**
 * Evaluates a gate against a candidate and the incumbent, returning the evidence tree. Every child of `all`/`any`
 * is evaluated (no short-circuit) so the recorded evidence is complete. Without a gate, the promotion passes.
 */
export async function evaluateGate(gate: Gate | undefined, ctx: GateContext): Promise<GateEvidence> {
  if (gate === undefined) return { gate: 'none', passed: true, message: 'no gate: unconditional promotion' };
  if (typeof gate === 'function') {
    const name = gate.name || 'anonymous';
    const out = await gate(ctx);
    if (typeof out === 'boolean') return { gate: 'custom', name, passed: out };
    return {
      gate: 'custom',
      name,
      passed: out.passed === true,
      ...(out.message === undefined ? {} : { message: out.message }),
      ...(out.evidence === undefined ? {} : { evidence: out.evidence }),
    };
  }
  if ('all' in gate) {
    const children = await Promise.all(gate.all.map((g) => evaluateGate(g, ctx)));
    return { gate: 'all', passed: children.every((c) => c.passed), children };
  }
  if ('any' in gate) {
    const children = await Promise.all(gate.any.map((g) => evaluateGate(g, ctx)));
    return { gate: 'any', passed: children.some((c) => c.passed), children };
  }
  if ('not' in gate) {
    const child = await evaluateGate(gate.not, ctx);
    return { gate: 'not', passed: !child.passed, children: [child] };
  }
  if ('notWorseThanIncumbentBy' in gate) {
    return relative(
      'notWorseThanIncumbent',
      gate.metric,
      gate.notWorseThanIncumbentBy,
      gate.direction,
      gate.ifNoIncumbent ?? 'pass',
      ctx,
    );
  }
  if ('improvesOnIncumbentBy' in gate) {
    return relative(
      'improvesOnIncumbent',
      gate.metric,
      gate.improvesOnIncumbentBy,
      gate.direction,
      gate.ifNoIncumbent ?? 'pass',
      ctx,
    );
  }
  // A threshold reads the candidate's figure on the comparison's data when it was measured there, else the
  // registered one (a latency or a size is not measured on data); the evidence says which.
  const measured = ctx.comparison ? figureOf(ctx.comparison.candidate.metrics, gate.metric) : undefined;
  const actual = measured ?? metricOf(ctx.candidate, gate.metric);
  const source = ctx.comparison
    ? measured === undefined
      ? { source: 'registered' }
      : { source: 'comparison', measuredOn: ctx.comparison.data.name }
    : {};
  if (actual === undefined) {
    return {
      gate: 'threshold',
      metric: gate.metric,
      op: gate.op,
      value: gate.value,
      actual: null,
      passed: false,
      message: `candidate has no metric "${gate.metric}"`,
    };
  }
  const passed = compare(actual, gate.op, gate.value);
  return {
    gate: 'threshold',
    metric: gate.metric,
    op: gate.op,
    value: gate.value,
    actual,
    ...source,
    passed,
    message: `${gate.metric} ${actual} ${gate.op} ${gate.value}${measured === undefined ? '' : ` (on ${ctx.comparison!.data.name})`}: ${passed ? 'pass' : 'fail'}`,
  };
}
