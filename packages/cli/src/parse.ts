import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { invalidInput, MlopsError, zodIssues } from '@mlops/core';
import type { RunFilter } from '@mlops/core/tracking';
import { type DeclarativeGate, declarativeGateSchema } from '@mlops/registry';

/** A comparison operator as the registry and run search name it. */
export type ComparisonOp = 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq';

/** `key <op> value` as written on the command line, e.g. `accuracy>=0.9`. */
export interface Comparison {
  key: string;
  op: ComparisonOp;
  /** The right-hand side, trimmed, not yet converted. */
  value: string;
}

const OPS: [string, ComparisonOp][] = [
  ['>=', 'gte'],
  ['<=', 'lte'],
  ['!=', 'neq'],
  ['==', 'eq'],
  ['>', 'gt'],
  ['<', 'lt'],
  ['=', 'eq'],
];

const usage = (message: string, path: string): MlopsError =>
  new MlopsError('INVALID_INPUT', { message, details: [{ path, message }] });

/** Splits `key<op>value` at its first operator (`>=`, `<=`, `!=`, `==`, `>`, `<`, `=`). */
export function parseComparison(text: string, what = 'condition'): Comparison {
  const at = text.search(/[<>=!]/);
  const found = at < 0 ? undefined : OPS.find(([token]) => text.startsWith(token, at));
  if (!found) {
    throw usage(`Invalid ${what} "${text}": expected <name><op><value> with op one of >= <= > < = !=`, what);
  }
  const [token, op] = found;
  const key = text.slice(0, at).trim();
  const value = text.slice(at + token.length).trim();
  if (key === '' || value === '') throw usage(`Invalid ${what} "${text}": name and value are both required`, what);
  return { key, op, value };
}

function toNumber(value: string, text: string, what: string): number {
  const n = Number(value);
  if (value === '' || !Number.isFinite(n)) throw usage(`Invalid ${what} "${text}": "${value}" is not a number`, what);
  return n;
}

const INCUMBENT = /^incumbent\s*(?:([+-])\s*([0-9.eE+-]+))?$/;

/**
 * Parses one `--gate` expression into the registry's declarative gate JSON:
 *
 * - `accuracy>=0.9` → `{ metric: 'accuracy', op: 'gte', value: 0.9 }` (also `>`, `<`, `<=`, `=`, `!=`);
 * - `accuracy>=incumbent-0.01` → not worse than the incumbent by more than 0.01 (higher is better);
 * - `accuracy>=incumbent+0.02` → beats the incumbent by at least 0.02;
 * - `loss<=incumbent`, `loss<=incumbent+0.1`, `loss<=incumbent-0.1` → the same with lower is better.
 *
 * Relative gates pass when the alias has no incumbent yet (use `--gate-json` with `ifNoIncumbent: 'fail'` otherwise).
 */
export function parseGateExpression(text: string): DeclarativeGate {
  const c = parseComparison(text, 'gate');
  const rel = INCUMBENT.exec(c.value);
  if (!rel) return { metric: c.key, op: c.op, value: toNumber(c.value, text, 'gate') };
  if (c.op !== 'gte' && c.op !== 'lte') {
    throw usage(
      `Invalid gate "${text}": compare with the incumbent using >= (higher is better) or <= (lower is better)`,
      'gate',
    );
  }
  const direction = c.op === 'gte' ? 'max' : 'min';
  const d = rel[2] === undefined ? 0 : toNumber(rel[2], text, 'gate');
  const sign = rel[1] ?? '-';
  // For `max`, `incumbent - d` tolerates a drop and `incumbent + d` asks for a gain; `min` mirrors it.
  const tolerates = direction === 'max' ? sign === '-' : sign === '+';
  return tolerates || d === 0
    ? { metric: c.key, notWorseThanIncumbentBy: d, direction }
    : { metric: c.key, improvesOnIncumbentBy: d, direction };
}

/** Reads `--gate-json`: inline JSON, or `@path` to read a file. */
export function readJsonArgument(text: string, what: string, cwd = process.cwd()): unknown {
  let raw = text;
  if (text.startsWith('@')) {
    try {
      raw = readFileSync(resolve(cwd, text.slice(1)), 'utf8');
    } catch (cause) {
      throw new MlopsError('NOT_FOUND', { message: `Cannot read ${what} file ${text.slice(1)}`, cause });
    }
  }
  try {
    return JSON.parse(raw);
  } catch (cause) {
    throw usage(`Invalid ${what}: not valid JSON (${(cause as Error).message})`, what);
  }
}

/**
 * Builds the promotion gate from repeated `--gate` expressions and an optional `--gate-json`; several parts are
 * combined with `all`. Returns `undefined` when no gate was given. Validated with the registry's schema.
 */
export function buildGate(expressions: string[], gateJson: unknown): DeclarativeGate | undefined {
  const parts: unknown[] = expressions.map(parseGateExpression);
  if (gateJson !== undefined) parts.push(gateJson);
  if (parts.length === 0) return undefined;
  const gate = parts.length === 1 ? parts[0] : { all: parts };
  const res = declarativeGateSchema.safeParse(gate);
  if (!res.success) {
    throw invalidInput('invalid gate', zodIssues(res.error, 'gate'));
  }
  return res.data;
}

/** Filters of `mlops runs ls` as written on the command line. */
export interface RunFilterArgs {
  /** `accuracy>=0.9` (repeatable). */
  metric?: string[];
  /** `lr=0.1`, `optimizer!=sgd` (repeatable). */
  param?: string[];
  /** `stage=prod` (repeatable). */
  tag?: string[];
  /** Run status. */
  status?: string[];
}

type TextCond = { eq?: string; ne?: string };

function textConditions(list: string[] | undefined, what: string): Record<string, TextCond> | undefined {
  if (!list?.length) return undefined;
  const out: Record<string, TextCond> = {};
  for (const text of list) {
    const c = parseComparison(text, what);
    if (c.op !== 'eq' && c.op !== 'neq') throw usage(`Invalid ${what} "${text}": use = or !=`, what);
    out[c.key] = { ...out[c.key], ...(c.op === 'eq' ? { eq: c.value } : { ne: c.value }) };
  }
  return out;
}

/** Turns `--metric`, `--param`, `--tag` and `--status` into core's typed {@link RunFilter}. */
export function buildRunFilter(args: RunFilterArgs): RunFilter {
  const filter: RunFilter = {};
  if (args.metric?.length) {
    const metrics: Record<string, Partial<Record<'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte', number>>> = {};
    for (const text of args.metric) {
      const c = parseComparison(text, 'metric filter');
      const key = c.op === 'neq' ? 'ne' : c.op;
      metrics[c.key] = { ...metrics[c.key], [key]: toNumber(c.value, text, 'metric filter') };
    }
    filter.metrics = metrics;
  }
  const params = textConditions(args.param, 'param filter');
  if (params) filter.params = params;
  const tags = textConditions(args.tag, 'tag filter');
  if (tags) filter.tags = tags;
  if (args.status?.length) filter.status = args.status as RunFilter['status'];
  return filter;
}

/** Parses a positive integer option (`--limit 20`); `INVALID_INPUT` otherwise. */
export function parsePositiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw usage(`Invalid ${what} "${text}": expected a positive integer`, what);
  return n;
}
