import { decisionEvidence, formatEvidence } from './evidence.js';
import { EXIT_CODES, errorCodeOf, errorJson, exitCodeFor, hintFor } from './exit-codes.js';
import { type TextSink, toJson } from './output.js';

/**
 * Prints a command's error on stderr: `{ error: { code, message, exitCode } }` with `--json`, else
 * `error: <message> [CODE]`, the field issues of an `INVALID_INPUT`, the evidence of a `GATE_FAILED` and a hint.
 * The stack only for an unexpected error (exit 1) with `MLOPS_DEBUG` set.
 */
export function printError(err: unknown, json: boolean, stderr: TextSink): void {
  if (json) {
    stderr.write(`${toJson(errorJson(err))}\n`);
    return;
  }
  const code = errorCodeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  const lines = [`error: ${message}${code ? ` [${code}]` : ''}`];
  const details = (err as { details?: unknown } | null)?.details;
  if (Array.isArray(details) && details.length > 0 && code === 'INVALID_INPUT' && !message.includes(':')) {
    for (const d of details as { path?: string; message?: string }[]) lines.push(`  ${d.path}: ${d.message}`);
  }
  const evidence = decisionEvidence((details as { decision?: unknown } | undefined)?.decision);
  if (code === 'GATE_FAILED' && evidence) lines.push('Gate evidence:', ...formatEvidence(evidence));
  const hint = hintFor(err);
  if (hint) lines.push(`hint: ${hint}`);
  if (exitCodeFor(err) === EXIT_CODES.ERROR && process.env.MLOPS_DEBUG && err instanceof Error && err.stack) {
    lines.push(err.stack);
  }
  stderr.write(`${lines.join('\n')}\n`);
}
