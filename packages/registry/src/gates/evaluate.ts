import type { ModelVersion } from '../records.js';
import type { Gate, GateContext, GateEvidence, GateOp, IfNoIncumbent } from './types.js';

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
