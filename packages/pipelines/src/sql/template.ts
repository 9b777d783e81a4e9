import { MlopsError } from '@mlops/core';

const PLACEHOLDER = /\{\{\s*(.*?)\s*\}\}/g;
const REF = /^ref\(\s*(?:'([^']*)'|"([^"]*)")\s*\)$/;

/** A parsed `{{ … }}` placeholder: a `ref('schema.table')` or `this` (the relation under test). */
type Placeholder = { kind: 'ref'; name: string } | { kind: 'this' };

function parsePlaceholder(inner: string, sql: string): Placeholder {
  if (inner === 'this') return { kind: 'this' };
  const m = REF.exec(inner);
  if (m) return { kind: 'ref', name: (m[1] ?? m[2])! };
  throw new MlopsError('INVALID_INPUT', {
    message: `Unknown placeholder {{ ${inner} }} in SQL; use {{ ref('schema.table') }} or {{ this }}`,
    details: { placeholder: inner, sql: sql.slice(0, 200) },
  });
}

/** The relations a SQL template reads through `{{ ref('schema.table') }}`, in order of first use, without repeats. */
export function templateRefs(sql: string): string[] {
  const out: string[] = [];
  for (const m of sql.matchAll(PLACEHOLDER)) {
    const p = parsePlaceholder(m[1]!, sql);
    if (p.kind === 'ref' && !out.includes(p.name)) out.push(p.name);
  }
  return out;
}

/** What placeholders are replaced with when a template is rendered. */
export interface TemplateContext {
  /** SQL for `{{ ref('name') }}`, usually a quoted relation. */
  ref: (name: string) => string;
  /** SQL for `{{ this }}`; a template using it without one is refused. */
  self?: string;
}

/** Replaces `{{ ref('…') }}` and `{{ this }}` placeholders, and drops a trailing semicolon. */
export function renderTemplate(sql: string, ctx: TemplateContext): string {
  const out = sql.replace(PLACEHOLDER, (_all, inner: string) => {
    const p = parsePlaceholder(inner, sql);
    if (p.kind === 'ref') return ctx.ref(p.name);
    if (ctx.self === undefined) {
      throw new MlopsError('INVALID_INPUT', { message: '{{ this }} is only available in expectations of a relation' });
    }
    return ctx.self;
  });
  return stripSemicolon(out);
}

/** True when the template uses `{{ this }}`. */
export function usesSelf(sql: string): boolean {
  for (const m of sql.matchAll(PLACEHOLDER)) if (parsePlaceholder(m[1]!, sql).kind === 'this') return true;
  return false;
}

/** Removes trailing whitespace and semicolons, so a statement can be wrapped in `(…)` or `CREATE … AS`. */
export function stripSemicolon(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}
