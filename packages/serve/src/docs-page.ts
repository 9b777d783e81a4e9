import { createHash } from 'node:crypto';

/**
 * An example value for a JSON Schema of the OpenAPI document (internal): `example`/`const`/`enum`/`default` when
 * given, the first alternative of `oneOf`/`anyOf`, required properties (all when none is required), `minItems` items.
 * Runs in the browser: it is written into the /docs page's script, so it must stay self-contained.
 */
export function exampleFromSchema(schema: unknown, resolve: (s: unknown) => unknown, depth = 0): unknown {
  const s = resolve(schema) as Record<string, unknown> | undefined;
  if (!s || typeof s !== 'object' || depth > 12) return null;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if ('example' in s) return s.example;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if ('default' in s) return s.default;
  const alternatives = (s.oneOf ?? s.anyOf) as unknown[] | undefined;
  if (Array.isArray(alternatives) && alternatives.length > 0)
    return exampleFromSchema(alternatives[0], resolve, depth + 1);
  const type = Array.isArray(s.type) ? (s.type as string[]).find((t) => t !== 'null') : s.type;
  if (type === 'object' || (type === undefined && s.properties)) {
    const properties = (s.properties ?? {}) as Record<string, unknown>;
    const required =
      Array.isArray(s.required) && s.required.length > 0 ? (s.required as string[]) : Object.keys(properties);
    const out: Record<string, unknown> = {};
    for (const key of required)
      if (key in properties) out[key] = exampleFromSchema(properties[key], resolve, depth + 1);
    return out;
  }
  if (type === 'array') {
    const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as unknown[]) : [];
    const n = Math.max(typeof s.minItems === 'number' ? s.minItems : 1, prefix.length);
    const out: unknown[] = [];
    for (let i = 0; i < Math.min(n, 16); i++) out.push(exampleFromSchema(prefix[i] ?? s.items, resolve, depth + 1));
    return out;
  }
  if (type === 'string') return s.format === 'date-time' ? '2026-01-01T00:00:00Z' : 'string';
  if (type === 'integer' || type === 'number') return typeof s.minimum === 'number' ? s.minimum : 0;
  if (type === 'boolean') return true;
  return null;
}

// A small self-contained renderer for /openapi.json: no CDN, no external files, so the page works offline and
// under a strict Content-Security-Policy (the script is allowed by its hash).
const SCRIPT = `
const exampleFromSchema = ${exampleFromSchema.toString()};
(async () => {
  const root = document.getElementById('root');
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const k of kids) e.append(k);
    return e;
  };
  let doc;
  try {
    const res = await fetch('openapi.json', { headers: { accept: 'application/json' } });
    doc = await res.json();
  } catch (err) {
    root.textContent = 'Could not load openapi.json: ' + err;
    return;
  }
  root.textContent = '';
  document.title = doc.info.title + ' API';
  root.append(el('h1', {}, doc.info.title + ' ', el('small', {}, 'v' + doc.info.version + ' · OpenAPI ' + doc.openapi)));
  root.append(el('p', {}, 'Raw document: ', el('a', { href: 'openapi.json' }, 'openapi.json')));
  const resolve = (s) => {
    if (s && s.$ref) return doc.components.schemas[s.$ref.split('/').pop()];
    return s;
  };
  const groups = new Map();
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || 'other';
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag).push({ path, method, op });
    }
  }
  const nav = el('nav', {});
  root.append(nav);
  for (const [tag, ops] of groups) {
    nav.append(el('a', { href: '#tag-' + tag }, tag), ' ');
    root.append(el('h2', { id: 'tag-' + tag }, tag));
    for (const { path, method, op } of ops) {
      const body = el('div', { class: 'body' });
      if (op.description) body.append(el('p', {}, op.description));
      if (op.security) body.append(el('p', { class: 'auth' }, 'Requires an API key (Authorization: Bearer …)'));
      if (op.parameters && op.parameters.length) {
        const ul = el('ul', {});
        for (const p of op.parameters) ul.append(el('li', {}, el('code', {}, p.name), ' (' + p.in + ')' + (p.required ? ' required' : '') + (p.schema && p.schema.description ? ' — ' + p.schema.description : p.description ? ' — ' + p.description : '')));
        body.append(el('h4', {}, 'Parameters'), ul);
      }
      const req = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
      if (req) body.append(el('h4', {}, 'Request body'), el('pre', {}, JSON.stringify(resolve(req.schema), null, 2)));
      for (const [status, r] of Object.entries(op.responses || {})) {
        const c = r.content && r.content['application/json'];
        const d = el('details', {}, el('summary', {}, status + ' ' + (r.description || '')));
        if (c && c.schema) d.append(el('pre', {}, JSON.stringify(resolve(c.schema), null, 2)));
        body.append(d);
      }
      const quote = (text) => "'" + text.replace(/'/g, "'\\\\''") + "'";
      let curl = 'curl -X ' + method.toUpperCase() + ' ' + quote(location.origin + path);
      if (op.security) curl += ' -H "authorization: Bearer $MLOPS_API_KEY"';
      if (req) curl += " -H 'content-type: application/json' -d " + quote(JSON.stringify(exampleFromSchema(req.schema, resolve)));
      body.append(el('h4', {}, 'Example'), el('pre', {}, curl));
      root.append(el('details', { class: 'op' }, el('summary', {}, el('span', { class: 'm ' + method }, method.toUpperCase()), ' ', el('code', {}, path), ' ', op.summary || ''), body));
    }
  }
})();
`;

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:980px;padding:1rem 1.5rem;color:#1b1f24}
h1 small{font-size:.5em;color:#667}nav a{margin-right:.6rem}pre{background:#f5f6f8;padding:.6rem;overflow:auto;font-size:13px}
details.op{border:1px solid #d8dce2;border-radius:6px;margin:.4rem 0}details.op>summary{padding:.4rem .6rem;cursor:pointer}
.body{padding:0 .8rem .6rem}.m{display:inline-block;min-width:4.2em;font-weight:600;font-family:monospace}
.get{color:#0a6}.post{color:#06c}.put,.patch{color:#a60}.delete{color:#c22}.auth{color:#a60}`;

/** The `/docs` page and the Content-Security-Policy that allows exactly its inline script (internal). */
export const DOCS_PAGE = {
  /** The page's script (for tests). */
  script: SCRIPT,
  html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>API</title><style>${STYLE}</style></head><body><div id="root">Loading…</div><script>${SCRIPT}</script></body></html>`,
  csp: `default-src 'none'; connect-src 'self'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; script-src 'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
};
