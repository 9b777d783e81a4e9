// Fuzzed HTTP requests for every route of a model server with the registry, an extension route (the triage route's
// shape) and the dashboard mounted: shared by the fast-check tests (`fuzz-*.test.ts`) and the 10,000-request stress
// run (`bench/http-fuzz-stress.bench.mjs`). Values mix valid names (so requests reach the handlers and the store) with
// what broke the server before: U+0000, lone surrogates, deep nesting, long strings, prototype keys, wrong types.
import fc from 'fast-check';

/** One request to send. */
export interface FuzzRequest {
  method: string;
  /** Path and query, already percent-encoded. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** What the routes are called on the server under test. */
export interface FuzzTargets {
  /** A served model (its signature has `x` float64, `city` string, `v` float32[2] optional). */
  model: string;
  /** A registered model name and an alias of it. */
  registryModel?: string;
  alias?: string;
  /** Where the registry router is mounted (e.g. `/registry`). */
  registryPrefix?: string;
  /** An extension route taking `{ title, body }` (the triage route). */
  triagePath?: string;
  /** Where the dashboard router is mounted (e.g. `/ui`). */
  dashboardPrefix?: string;
  /** A run id the dashboard knows. */
  runId?: string;
}

const NASTY = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\udc00\ud800',
  '😀',
  '',
  ' ',
  '__proto__',
  'constructor',
  'toString',
  'production',
  '1',
  '0',
  '-1',
  '1e999',
  'null',
  'true',
  '%00',
  '\\u0000',
  '../..',
  "'; DROP TABLE core_predictions; --",
  'ä'.repeat(300),
  'a'.repeat(5000),
];

/** Strings: ordinary, binary (every UTF-16 code unit: NUL and lone surrogates included), known troublemakers. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 100, maxLength: 1000 }) },
);

const number = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 1, 2, 3, 1e308, -1e308, 2 ** 53, 2 ** 63, 0.5),
);

/** JSON values (a few levels deep) whose strings and keys are {@link nastyString}s. */
export const nastyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nastyString,
    number,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(nastyString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/**
 * A value for a field: usually of the expected type (for a string field that is any {@link nastyString}: the type is
 * right, the content is what the store may refuse), sometimes anything.
 */
const field = <T>(good: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 8, arbitrary: good }, { weight: 1, arbitrary: nastyString }, { weight: 1, arbitrary: nastyJson });
const str = field(nastyString);

/** Percent-encodes every UTF-8 byte of `s` (a lone surrogate becomes U+FFFD, as a browser would send it). */
export function encodeSegment(s: string): string {
  return Array.from(Buffer.from(s, 'utf8'), (b) =>
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x5f
      ? String.fromCharCode(b)
      : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
  ).join('');
}

/** A path segment: a known name, a nasty string, or raw bytes a browser would not send (`%00`, `%ED%A0%80`, `%`). */
const segment = (...known: (string | undefined)[]) =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(...known.filter((k): k is string => k !== undefined), '1').map(encodeSegment),
    },
    { weight: 3, arbitrary: nastyString.map(encodeSegment) },
    { weight: 1, arbitrary: fc.constantFrom('%00', '%ED%A0%80', '%C0%80', '%', '%zz', '..', '.', '%2F', '%25') },
  );

/** A query string of some of `keys` (and stray ones), values known or nasty, sometimes repeated. */
const query = (keys: string[], known: string[] = []) =>
  fc
    .array(
      fc.tuple(
        fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: nastyString }),
        fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(...known, '1', '10', 'true', 'asc', '0', '-5', '1000000') },
          { weight: 3, arbitrary: nastyString },
          { weight: 1, arbitrary: fc.constantFrom('%00', '%ED%A0%80', '%') },
        ),
      ),
      { maxLength: 4 },
    )
    .map((pairs) => {
      if (pairs.length === 0) return '';
      const enc = (s: string) => (/^%/.test(s) ? s : encodeSegment(s));
      return `?${pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')}`;
    });

/** An object body with some of the route's fields (good-ish or nasty values) and sometimes an unknown one. */
const objectBody = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc
    .record(fields, { requiredKeys: [] })
    .chain((o) =>
      fc.oneof(
        { weight: 8, arbitrary: fc.constant(o) },
        { weight: 1, arbitrary: fc.tuple(nastyString, nastyJson).map(([k, v]) => ({ ...o, [k]: v })) },
      ),
    );

const deep = (n: number, open = '[', close = ']', leaf = '1') => `${open.repeat(n)}${leaf}${close.repeat(n)}`;

/** Labels nested 60 to 2,000 deep (built as values: JSON.stringify copes up to a few thousand levels). */
const rawDeepLabel = fc.integer({ min: 60, max: 2000 }).map((n) => {
  let v: unknown = 'network';
  for (let i = 0; i < n; i++) v = [v];
  return v;
});

/** Raw bodies that are not what the route expects: broken JSON, deep nesting, non-objects. */
const rawBody = fc.oneof(
  fc.constantFrom(
    '{',
    '',
    'null',
    '[]',
    '"\\u0000"',
    '{"a":"\\ud800"}',
    '{"__proto__": {"polluted": true}}',
    '{"constructor": {"prototype": {"x": 1}}}',
    '{"instances": [{"x": 1e999}]}',
    deep(70),
    deep(5000),
    deep(100_000),
    deep(50_000, '{"a":', '}'),
  ),
  fc.string({ unit: 'binary', maxLength: 50 }),
  nastyJson.map((v) => JSON.stringify(v) ?? 'null'),
);

const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'text/plain',
      'text/plain;charset=UTF-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/merge-patch+json',
      '',
      'application/json, text/plain',
    ),
  },
);

interface Template {
  /** How often it is picked, relative to the others. @default 1 */
  weight?: number;
  method: string;
  path: fc.Arbitrary<string>;
  body?: fc.Arbitrary<unknown>;
}

const v1Body = (record: fc.Arbitrary<unknown>) =>
  fc.oneof(
    fc.record({ instances: fc.oneof(fc.array(record, { maxLength: 4 }), nastyJson) }),
    fc.record({
      inputs: fc.oneof(
        fc.record(
          { x: fc.array(field(number), { maxLength: 3 }), city: fc.array(str, { maxLength: 3 }) },
          { requiredKeys: [] },
        ),
        fc.array(record, { maxLength: 3 }),
        nastyJson,
      ),
    }),
    objectBody({ instances: nastyJson, inputs: nastyJson }),
  );

function templates(t: FuzzTargets): Template[] {
  const m = t.model;
  const record = objectBody({ x: field(number), city: str, v: field(fc.array(number, { maxLength: 3 })) });
  const tensor = objectBody({
    name: field(fc.constantFrom('x', 'city', 'v')),
    shape: field(fc.array(fc.integer({ min: -1, max: 3 }), { maxLength: 3 })),
    datatype: field(fc.constantFrom('FP64', 'FP32', 'BYTES', 'INT64', 'BOOL', 'UINT8')),
    data: field(fc.array(fc.oneof(number, nastyString, fc.constant(null)), { maxLength: 4 })),
  });
  const out: Template[] = [
    { weight: 3, method: 'POST', path: segment(m).map((s) => `/v1/models/${s}/predict`), body: v1Body(record) },
    {
      weight: 2,
      method: 'POST',
      path: fc.oneof(
        segment(m).map((s) => `/v2/models/${s}/infer`),
        fc.tuple(segment(m), segment('1', 'v1')).map(([s, v]) => `/v2/models/${s}/versions/${v}/infer`),
      ),
      body: objectBody({
        id: str,
        inputs: fc.oneof(fc.array(tensor, { maxLength: 3 }), nastyJson),
        outputs: fc.oneof(fc.array(objectBody({ name: str }), { maxLength: 2 }), nastyJson),
        parameters: nastyJson,
      }),
    },
    {
      weight: 4,
      method: 'POST',
      path: fc.constant('/v1/feedback'),
      body: fc.oneof(
        // The documented shapes, with nasty content: what reaches recordFeedback and the store.
        fc.record({ predictionId: str, label: nastyJson }),
        fc.record({ requestId: str, label: nastyJson, value: field(number) }, { requiredKeys: ['requestId'] }),
        fc.record({ requestId: str, model: str, label: nastyJson }),
        fc.record({ requestId: str, labels: fc.dictionary(nastyString, nastyJson, { minKeys: 1, maxKeys: 3 }) }),
        fc.record({ requestId: field(fc.constantFrom('r-1')), label: rawDeepLabel }),
        objectBody({
          predictionId: str,
          requestId: str,
          model: str,
          label: nastyJson,
          labels: nastyJson,
          value: field(number),
          time: field(fc.constantFrom('2026-01-01T00:00:00Z', 'yesterday', '0')),
        }),
      ),
    },
    {
      method: 'GET',
      path: fc.oneof(
        fc.constantFrom('/v1/models', '/v2', '/v2/health/live', '/v2/health/ready', '/openapi.json', '/metrics'),
        segment(m).map((s) => `/v1/models/${s}`),
        segment(m).map((s) => `/v2/models/${s}`),
        segment(m).map((s) => `/v2/models/${s}/ready`),
        fc.tuple(segment(m), segment('1')).map(([s, v]) => `/v2/models/${s}/versions/${v}`),
      ),
    },
  ];
  if (t.registryPrefix) {
    const r = t.registryPrefix;
    const name = () => segment(t.registryModel);
    const ver = () => segment('1', '2', '3');
    const alias = () => segment(t.alias, 'staging');
    const tags = fc.oneof(fc.dictionary(nastyString, str, { maxKeys: 3 }), nastyJson);
    const meta = { reason: str, principal: str };
    const listKeys = ['limit', 'cursor', 'query', 'tag.team', 'model', 'action', 'principal', 'alias', 'passed'];
    out.push(
      {
        weight: 2,
        method: 'POST',
        path: fc.constant(`${r}/models`),
        body: objectBody({
          name: field(fc.constantFrom('fuzz-new', t.registryModel ?? 'x')),
          description: str,
          tags,
          ...meta,
        }),
      },
      { method: 'GET', path: query(listKeys, ['a', 'team']).map((q) => `${r}/models${q}`) },
      { method: 'GET', path: query(listKeys).map((q) => `${r}/versions${q}`) },
      { method: 'GET', path: query(listKeys, [t.registryModel ?? 'x']).map((q) => `${r}/audit${q}`) },
      {
        weight: 3,
        method: 'GET',
        path: fc.oneof(
          name().map((n) => `${r}/models/${n}`),
          fc.tuple(name(), query(listKeys)).map(([n, q]) => `${r}/models/${n}/versions${q}`),
          fc.tuple(name(), ver()).map(([n, v]) => `${r}/models/${n}/versions/${v}`),
          fc.tuple(name(), ver()).map(([n, v]) => `${r}/models/${n}/versions/${v}/profile`),
          name().map((n) => `${r}/models/${n}/aliases`),
          fc.tuple(name(), alias()).map(([n, a]) => `${r}/models/${n}/aliases/${a}`),
          fc.tuple(name(), alias(), query(listKeys)).map(([n, a, q]) => `${r}/models/${n}/aliases/${a}/history${q}`),
          fc.tuple(name(), query(listKeys)).map(([n, q]) => `${r}/models/${n}/history${q}`),
          fc.tuple(name(), query(listKeys, ['true', 'false'])).map(([n, q]) => `${r}/models/${n}/decisions${q}`),
          nastyString.map((s) => `${r}/${encodeSegment(s)}`),
        ),
      },
      {
        weight: 3,
        method: 'PATCH',
        path: name().map((n) => `${r}/models/${n}`),
        body: objectBody({ description: str, tags, deleteTags: field(fc.array(nastyString)), ...meta }),
      },
      {
        weight: 2,
        method: 'POST',
        path: name().map((n) => `${r}/models/${n}/versions`),
        body: objectBody({
          packageDigest: field(fc.constantFrom(`sha256:${'ab'.repeat(32)}`)),
          flavor: field(fc.constantFrom('f')),
          metrics: fc.oneof(fc.dictionary(nastyString, field(number), { maxKeys: 3 }), nastyJson),
          tags,
          description: str,
          profile: nastyJson,
          ...meta,
        }),
      },
      {
        weight: 2,
        method: 'PATCH',
        path: fc.tuple(name(), ver()).map(([n, v]) => `${r}/models/${n}/versions/${v}`),
        body: objectBody({ description: str, tags, status: field(fc.constantFrom('archived', 'ready')), ...meta }),
      },
      {
        method: 'PUT',
        path: fc.tuple(name(), alias()).map(([n, a]) => `${r}/models/${n}/aliases/${a}`),
        body: objectBody({ version: field(fc.integer({ min: -1, max: 4 })), ...meta }),
      },
      {
        weight: 2,
        method: 'POST',
        path: fc.tuple(name(), alias()).map(([n, a]) => `${r}/models/${n}/aliases/${a}/promote`),
        body: objectBody({
          version: field(fc.integer({ min: 0, max: 4 })),
          expectedIncumbent: field(fc.integer({ min: 0, max: 4 })),
          gate: fc.oneof(
            nastyJson,
            objectBody({ metric: str, op: field(fc.constantFrom('gte', 'lt')), value: field(number) }),
          ),
          ...meta,
        }),
      },
      {
        method: 'POST',
        path: fc.tuple(name(), alias()).map(([n, a]) => `${r}/models/${n}/aliases/${a}/rollback`),
        body: objectBody(meta),
      },
      {
        method: 'DELETE',
        path: fc.oneof(
          fc.tuple(name(), alias()).map(([n, a]) => `${r}/models/${n}/aliases/${a}`),
          fc.tuple(name(), fc.constantFrom('9', '99')).map(([n, v]) => `${r}/models/${n}/versions/${v}`),
        ),
        body: objectBody(meta),
      },
    );
  }
  if (t.triagePath) {
    out.push({
      weight: 3,
      method: 'POST',
      path: fc.constant(t.triagePath),
      body: objectBody({
        title: field(fc.oneof(fc.constantFrom('VPN down', ''), nastyString)),
        body: field(
          fc.oneof(fc.constantFrom('I cannot connect to the VPN since this morning', 'printer jam'), nastyString),
        ),
      }),
    });
  }
  if (t.dashboardPrefix) {
    const d = `${t.dashboardPrefix}/api`;
    const run = () => segment(t.runId);
    const name = () => segment(t.registryModel);
    out.push(
      {
        weight: 4,
        method: 'GET',
        path: fc.oneof(
          fc.constantFrom(`${d}/info`, `${d}/experiments`, `${d}/models`, `${d}/monitoring/models`),
          query(
            ['experiment', 'status', 'param', 'metric', 'sort', 'dir', 'limit', 'nested'],
            ['accuracy>=0.5', 'lr=0.1', 'metric:accuracy', 'running'],
          ).map((q) => `${d}/runs${q}`),
          run().map((id) => `${d}/runs/${id}`),
          fc.tuple(run(), query(['name'], ['model.json'])).map(([id, q]) => `${d}/runs/${id}/artifact${q}`),
          query(['ids'], [`${t.runId ?? 'a'},${t.runId ?? 'b'}`]).map((q) => `${d}/compare${q}`),
          name().map((n) => `${d}/models/${n}`),
          query(['model', 'limit'], [t.registryModel ?? 'x']).map((q) => `${d}/audit${q}`),
          query(['model', 'from', 'to', 'buckets', 'minSamples'], [t.model, '2026-01-01T00:00:00Z', '5']).map(
            (q) => `${d}/monitoring${q}`,
          ),
        ),
      },
      {
        weight: 2,
        method: 'POST',
        path: fc.oneof(
          name().map((n) => `${d}/models/${n}/promote`),
          name().map((n) => `${d}/models/${n}/rollback`),
        ),
        body: objectBody({
          version: field(fc.integer({ min: 0, max: 4 })),
          alias: field(fc.constantFrom(t.alias ?? 'production', 'staging')),
          expectedIncumbent: field(fc.integer({ min: 0, max: 4 })),
          reason: str,
        }),
      },
    );
  }
  return out;
}

/** Requests for the routes of `targets`: a route's own body (fuzzed), sometimes a raw one, some odd content types. */
export function fuzzRequests(targets: FuzzTargets): fc.Arbitrary<FuzzRequest> {
  const stray: Template = {
    method: 'GET',
    path: fc
      .tuple(fc.constantFrom('/', '/v1/', '/v2/models/', `${targets.registryPrefix ?? ''}/`), nastyString)
      .map(([p, s]) => `${p}${encodeSegment(s)}`),
  };
  const all = [...templates(targets), stray];
  return fc.oneof(...all.map((t) => ({ weight: t.weight ?? 1, arbitrary: fc.constant(t) }))).chain((t) =>
    fc
      .record({
        path: t.path,
        method: fc.oneof(
          { weight: 9, arbitrary: fc.constant(t.method) },
          { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE') },
        ),
        body: t.body
          ? fc.oneof(
              { weight: 6, arbitrary: t.body.map((b) => JSON.stringify(b) ?? 'null') },
              { weight: 1, arbitrary: rawBody },
            )
          : fc.constant(undefined),
        type: contentType,
      })
      .map(({ path, method, body, type }): FuzzRequest => {
        const withBody = body !== undefined && method !== 'GET';
        return {
          method,
          path,
          headers: withBody && type !== '' ? { 'content-type': type } : {},
          ...(withBody ? { body } : {}),
        };
      }),
  );
}

/** What came back. */
export interface FuzzResponse {
  status: number;
  text: string;
  requestId: string | null;
}

/** Sends one request (the origin is the server's, e.g. `http://127.0.0.1:41234`). */
export async function sendFuzz(origin: string, r: FuzzRequest): Promise<FuzzResponse> {
  const res = await fetch(`${origin}${r.path}`, {
    method: r.method,
    headers: r.headers,
    ...(r.body === undefined ? {} : { body: r.body }),
  });
  return { status: res.status, text: await res.text(), requestId: res.headers.get('x-request-id') };
}

/** A 5xx other than the 503/504 the server answers by design (overloaded, draining, loading, timeout). */
export const isServerFault = (status: number): boolean => status >= 500 && status !== 503 && status !== 504;

/** A short, printable description of a request (for failure messages). */
export function describeRequest(r: FuzzRequest): string {
  const body = r.body === undefined ? '' : ` ${JSON.stringify(r.body.slice(0, 300))}`;
  return `${r.method} ${r.path.slice(0, 300)} ${JSON.stringify(r.headers)}${body}`;
}
