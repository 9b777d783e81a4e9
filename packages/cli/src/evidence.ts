/** Renders a gate evidence tree (from a promotion decision) as indented lines: pass/FAIL, gate kind, message. */
export function formatEvidence(evidence: unknown, indent = '  '): string[] {
  if (typeof evidence !== 'object' || evidence === null) return [];
  const e = evidence as { passed?: unknown; gate?: unknown; message?: unknown; children?: unknown; metric?: unknown };
  const mark = e.passed ? 'pass' : 'FAIL';
  const what = [String(e.gate ?? 'gate'), typeof e.metric === 'string' ? e.metric : ''].filter(Boolean).join(' ');
  const line = `${indent}${mark}  ${what}${typeof e.message === 'string' ? `: ${e.message}` : ''}`;
  const children = Array.isArray(e.children) ? e.children.flatMap((c) => formatEvidence(c, `${indent}  `)) : [];
  return [line, ...children];
}

/** The gate evidence tree of a recorded decision (`decision.evidence.result`, or the evidence itself). */
export function decisionEvidence(decision: unknown): unknown {
  const evidence = (decision as { evidence?: unknown } | null)?.evidence;
  const result = (evidence as { result?: unknown } | null | undefined)?.result;
  return result ?? evidence;
}
