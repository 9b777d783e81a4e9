import type { Gate, GateEvidence } from './types.js';

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

/** First failing leaf message of an evidence tree, for error messages. */
export function firstFailure(e: GateEvidence): string | undefined {
  if (e.passed && e.gate !== 'not') return undefined;
  for (const c of e.children ?? []) {
    const m = firstFailure(c);
    if (m) return m;
  }
  return e.message ?? (e.passed ? undefined : `${e.gate} gate failed`);
}
