import { z } from 'zod';
import type { JsonValue } from './contracts/json.js';

/**
 * Deepest JSON nesting accepted by {@link pgJsonIssues} and {@link pgJson} unless told otherwise: deeper values are
 * refused before anything recursive (zod, `JSON.stringify`, the store) walks them.
 */
export const MAX_JSON_DEPTH = 64;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// `String.prototype.isWellFormed` (Node 20) is not in the ES2023 lib typings.
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/**
 * Why PostgreSQL `text` or `jsonb` cannot hold `s`, or `undefined` when it can. Two things are refused: U+0000 (NUL:
 * `text` rejects the byte, `jsonb` the `\u0000` escape) and a lone UTF-16 surrogate (not Unicode: `jsonb` rejects
 * the escape, and `text` would silently store U+FFFD instead).
 *
 * @example
 * pgTextProblem('vpn down'); // undefined
 * pgTextProblem('a\u0000b'); // 'Contains U+0000 (NUL) at index 1: PostgreSQL text cannot hold it'
 */
export function pgTextProblem(s: string): string | undefined {
  const nul = s.indexOf('\u0000');
  if (nul >= 0) return `Contains U+0000 (NUL) at index ${nul}: PostgreSQL text cannot hold it`;
  if (!isWellFormed(s)) {
    const at = LONE_SURROGATE.exec(s)?.index ?? 0;
    return `Contains a lone UTF-16 surrogate at index ${at}: not valid Unicode`;
  }
  return undefined;
}

/** True when PostgreSQL `text` and `jsonb` can hold `s` exactly (see {@link pgTextProblem}). */
export function isPgText(s: string): boolean {
  return !s.includes('\u0000') && isWellFormed(s);
}

/**
 * A zod string that PostgreSQL `text`/`jsonb` can hold: no U+0000, no lone surrogate (see {@link pgTextProblem}).
 * Chain the usual checks after it.
 *
 * @example
 * const body = z.object({ requestId: pgText().min(1).max(200) });
 */
export function pgText(): z.ZodString {
  return z.string().superRefine((s, ctx) => {
    const problem = pgTextProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** One problem found by {@link pgJsonIssues}: where (`['labels', 'topic', 0]`) and what. */
export interface PgJsonIssue {
  path: (string | number)[];
  message: string;
}

/** Options of {@link pgJsonIssues} and {@link pgJson}. */
export interface PgJsonOptions {
  /**
   * Deepest nesting accepted (the value itself is depth 0, its elements depth 1).
   * @default MAX_JSON_DEPTH (64)
   */
  maxDepth?: number;
  /**
   * Stop after this many issues.
   * @default 20
   */
  maxIssues?: number;
}

const isPlainObject = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * Walks a JSON value (iteratively: no recursion on client-controlled depth) and lists what PostgreSQL `jsonb` could
 * not store: strings and object keys with U+0000 or a lone surrogate, nesting deeper than `maxDepth` (one issue, at
 * the value itself), and values that are not JSON (functions, `NaN`, `Infinity`, class instances…). An empty list
 * means the value can be stored.
 *
 * @example
 * pgJsonIssues({ tags: { team: 'a\u0000' } }); // [{ path: ['tags', 'team'], message: 'Contains U+0000 …' }]
 */
export function pgJsonIssues(value: unknown, opts: PgJsonOptions = {}): PgJsonIssue[] {
  const maxDepth = opts.maxDepth ?? MAX_JSON_DEPTH;
  const maxIssues = opts.maxIssues ?? 20;
  const issues: PgJsonIssue[] = [];
  // Paths are built only for the (rare) values with a problem: each frame keeps its parent and key.
  interface Frame {
    value: unknown;
    depth: number;
    key: string | number | undefined;
    parent: Frame | undefined;
    /** Set on a frame standing for a bad key (reported in document order, not descended into). */
    keyProblem?: string;
  }
  const pathOf = (f: Frame): (string | number)[] => {
    const out: (string | number)[] = [];
    for (let cur: Frame | undefined = f; cur?.key !== undefined; cur = cur.parent) out.push(cur.key);
    return out.reverse();
  };
  const stack: Frame[] = [{ value, depth: 0, key: undefined, parent: undefined }];
  let tooDeep = false;
  while (stack.length > 0 && issues.length < maxIssues) {
    const f = stack.pop()!;
    if (f.keyProblem !== undefined) {
      issues.push({ path: pathOf(f), message: `Key: ${f.keyProblem}` });
      continue;
    }
    const v = f.value;
    if (v === null || typeof v === 'boolean') continue;
    if (typeof v === 'string') {
      const problem = pgTextProblem(v);
      if (problem) issues.push({ path: pathOf(f), message: problem });
      continue;
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) issues.push({ path: pathOf(f), message: `${v} is not a JSON number` });
      continue;
    }
    if (typeof v !== 'object' || (!Array.isArray(v) && !isPlainObject(v))) {
      issues.push({ path: pathOf(f), message: `Not a JSON value (${typeof v})` });
      continue;
    }
    if (f.depth >= maxDepth) {
      // Reported once, at the value itself: a path 64 segments long helps nobody.
      if (!tooDeep) issues.push({ path: [], message: `Nested deeper than ${maxDepth} levels` });
      tooDeep = true;
      continue;
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth: f.depth + 1, key: i, parent: f });
      continue;
    }
    const entries = Object.entries(v);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, x] = entries[i]!;
      const keyProblem = pgTextProblem(k);
      stack.push({ value: x, depth: f.depth + 1, key: k, parent: f, ...(keyProblem ? { keyProblem } : {}) });
    }
  }
  return issues;
}

/**
 * A zod schema for any JSON value that PostgreSQL `jsonb` can store (see {@link pgJsonIssues}); issues carry the
 * path inside the value. Unlike `z.json()` it never recurses, so a value nested 100,000 deep is a clean issue, not a
 * stack overflow.
 *
 * @example
 * const feedback = z.object({ label: pgJson().optional() });
 */
export function pgJson(opts: PgJsonOptions = {}): z.ZodType<JsonValue> {
  return z.unknown().superRefine((v, ctx) => {
    for (const i of pgJsonIssues(v, opts)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
  }) as unknown as z.ZodType<JsonValue>;
}
