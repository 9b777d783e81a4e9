import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLlmClient, type LlmClientOptions, LlmError, LlmNotConfiguredError } from '@mlops/plugin-llm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

/**
 * A local server speaking the OpenAI chat-completions protocol: `POST /v1/chat/completions`, JSON in, JSON or SSE
 * out. Each test scripts the responses, one handler per request (the last one repeats).
 */
interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  at: number;
}
type Handler = (req: Recorded, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let requests: Recorded[] = [];
let script: Handler[] = [];
const KEY = 'sk-test-7f3a9c1e5b';

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rec: Recorded = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'),
      at: Date.now(),
    };
    requests.push(rec);
    if (rec.method !== 'POST' || rec.path !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"no route"}}');
      return;
    }
    const handler = script[Math.min(requests.length - 1, script.length - 1)];
    handler?.(rec, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

beforeEach(() => {
  requests = [];
  script = [];
});

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };

const completion = (content: string, model = 'gpt-test-1') =>
  json(200, {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
  });

const sseChunk = (content: string | undefined, finish: string | null = null, extra: object = {}) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-2',
    object: 'chat.completion.chunk',
    model: 'gpt-test-1',
    choices: [{ index: 0, delta: content === undefined ? {} : { content }, finish_reason: finish }],
    ...extra,
  })}\n\n`;

/** Streams SSE in small, awkward pieces (split inside lines) to exercise the parser. */
const stream =
  (events: string[], opts: { cut?: boolean } = {}): Handler =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const text = events.join('');
    let i = 0;
    const tick = () => {
      if (i >= text.length) {
        if (opts.cut) res.socket?.destroy();
        else res.end();
        return;
      }
      res.write(text.slice(i, i + 7));
      i += 7;
      setImmediate(tick);
    };
    tick();
  };

const messages = [
  { role: 'system' as const, content: 'You answer IT tickets.' },
  { role: 'user' as const, content: 'My VPN password expired.' },
];

const client = (opts: LlmClientOptions = {}) =>
  createLlmClient({
    env: {},
    baseUrl,
    apiKey: KEY,
    model: 'gpt-test-1',
    backoff: { initialMs: 5, maxMs: 50 },
    ...opts,
  });

async function errorOf(p: Promise<unknown>): Promise<LlmError> {
  try {
    await p;
  } catch (err) {
    return err as LlmError;
  }
  throw new Error('expected a rejection');
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('createLlmClient against a local OpenAI-compatible server', () => {
  it('sends POST /chat/completions with Bearer auth and a JSON body; parses the completion', async () => {
    script = [completion('Reset it at https://vpn.example/reset.')];
    const llm = client();
    const r = await llm.chat({ messages, temperature: 0.2, maxTokens: 64 });
    expect(r).toEqual({
      content: 'Reset it at https://vpn.example/reset.',
      model: 'gpt-test-1',
      usage: { promptTokens: 12, completionTokens: 5, totalTokens: 17 },
      finishReason: 'stop',
    });
    expect(requests).toHaveLength(1);
    const [req] = requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/v1/chat/completions');
    expect(req?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.body).toEqual({ model: 'gpt-test-1', messages, temperature: 0.2, max_tokens: 64 });
  });

  it('reads its configuration from MLOPS_LLM_* and sends no Authorization without a key (local servers)', async () => {
    script = [completion('ok', 'llama3.2')];
    const llm = createLlmClient({ env: { MLOPS_LLM_BASE_URL: baseUrl, MLOPS_LLM_MODEL: 'llama3.2' } });
    expect(llm.config).toMatchObject({ configured: true, provider: 'custom', model: 'llama3.2', hasApiKey: false });
    expect((await llm.chat({ messages })).content).toBe('ok');
    expect(requests[0]?.headers.authorization).toBeUndefined();
    expect(requests[0]?.body.model).toBe('llama3.2');
  });

  it('streams deltas parsed from SSE (split mid-line), ending at [DONE]', async () => {
    script = [
      stream([
        ': keep-alive comment\n\n',
        sseChunk(''),
        sseChunk('Reset '),
        sseChunk('your '),
        sseChunk('password.'),
        sseChunk(undefined, 'stop'),
        sseChunk(undefined, null, { choices: [], usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 } }),
        'data: [DONE]\n\n',
      ]),
    ];
    const deltas = await collect(client().chatStream({ messages }));
    expect(deltas.map((d) => d.content).join('')).toBe('Reset your password.');
    expect(deltas.filter((d) => d.finishReason !== null).map((d) => d.finishReason)).toEqual(['stop']);
    expect(deltas.at(-1)?.usage).toEqual({ promptTokens: 9, completionTokens: 3, totalTokens: 12 });
    expect(requests[0]?.body.stream).toBe(true);
    expect(requests[0]?.headers.accept).toBe('text/event-stream');
  });

  it('retries a 429 after the Retry-After it asks for, then succeeds', async () => {
    script = [
      json(429, { error: { message: 'Rate limit reached', type: 'requests' } }, { 'retry-after': '0.2' }),
      completion('after the limit'),
    ];
    const retries: unknown[] = [];
    const llm = client({ backoff: { initialMs: 1, maxMs: 5 }, onRetry: (i) => retries.push(i) });
    expect((await llm.chat({ messages })).content).toBe('after the limit');
    expect(requests).toHaveLength(2);
    // Backoff alone waits ≤ 5 ms; the header asked for 200 ms (generous ordering check, not a timing assertion).
    expect((requests[1]?.at ?? 0) - (requests[0]?.at ?? 0)).toBeGreaterThanOrEqual(150);
    expect(retries).toEqual([expect.objectContaining({ attempt: 1, delayMs: 200, code: 'RATE_LIMITED', status: 429 })]);
  });

  it('honours Retry-After given as an HTTP date', async () => {
    const date = new Date(Date.now() + 1500).toUTCString(); // second resolution: waits up to ~1.5 s
    script = [json(503, { error: { message: 'overloaded' } }, { 'retry-after': date }), completion('later')];
    expect((await client().chat({ messages })).content).toBe('later');
    expect((requests[1]?.at ?? 0) - (requests[0]?.at ?? 0)).toBeGreaterThanOrEqual(400);
  });

  it('retries a 500 and gives up after the configured retries with UPSTREAM_ERROR and the provider message', async () => {
    script = [json(500, { error: { message: 'The server had an error while processing your request.' } })];
    const err = await errorOf(client({ retries: 2 }).chat({ messages }));
    expect(err).toBeInstanceOf(LlmError);
    expect(err.code).toBe('UPSTREAM_ERROR');
    expect(err.status).toBe(500);
    expect(err.message).toContain('The server had an error while processing your request.');
    expect(err.details).toMatchObject({ attempts: 3, status: 500 });
    expect(requests).toHaveLength(3);
  });

  it('recovers when a 500 is followed by a success', async () => {
    script = [json(500, { error: { message: 'boom' } }), completion('fine now')];
    expect((await client().chat({ messages })).content).toBe('fine now');
    expect(requests).toHaveLength(2);
  });

  it('does not retry 401: UNAUTHORIZED with the provider message and never the key', async () => {
    script = [
      json(401, {
        error: {
          message: `Incorrect API key provided: ${KEY}. You can find your API key at https://platform.openai.com.`,
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      }),
    ];
    const err = await errorOf(client({ retries: 3 }).chat({ messages }));
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.providerCode).toBe('invalid_api_key');
    expect(err.message).toContain('Incorrect API key provided');
    expect(err.message).not.toContain(KEY);
    expect(JSON.stringify(err.details)).not.toContain(KEY);
    expect(requests).toHaveLength(1);
  });

  it.each([
    [400, 'INVALID_INPUT'],
    [403, 'FORBIDDEN'],
  ])('does not retry %i (%s)', async (status, code) => {
    script = [json(status, { error: { message: `nope ${status}` } })];
    const err = await errorOf(client({ retries: 3 }).chat({ messages }));
    expect(err.code).toBe(code);
    expect(err.message).toContain(`nope ${status}`);
    expect(requests).toHaveLength(1);
  });

  it('fails on malformed JSON with UPSTREAM_ERROR (not retried: the tokens were spent)', async () => {
    script = [
      (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices": [ {"message": '),
    ];
    const err = await errorOf(client().chat({ messages }));
    expect(err.code).toBe('UPSTREAM_ERROR');
    expect(err.message).toContain('malformed JSON');
    expect(requests).toHaveLength(1);
  });

  it('fails on a stream cut mid-way with UPSTREAM_ERROR, after yielding what arrived', async () => {
    script = [
      stream([sseChunk('Reset '), sseChunk('your '), 'data: {"choices":[{"delta":{"content":"pa'], { cut: true }),
    ];
    const got: string[] = [];
    const err = await errorOf(
      (async () => {
        for await (const d of client().chatStream({ messages })) got.push(d.content);
      })(),
    );
    expect(err.code).toBe('UPSTREAM_ERROR');
    expect(err.message).toContain('stream interrupted');
    expect(got.join('')).toBe('Reset your ');
  });

  it('fails on a stream that ends cleanly but without finish_reason or [DONE]', async () => {
    script = [stream([sseChunk('Reset '), sseChunk('your ')])];
    const err = await errorOf(collect(client().chatStream({ messages })));
    expect(err.code).toBe('UPSTREAM_ERROR');
    expect(err.message).toContain('ended before the answer was complete');
  });

  it('fails on malformed JSON inside a stream', async () => {
    script = [stream([sseChunk('ok '), 'data: {not json}\n\n', 'data: [DONE]\n\n'])];
    const err = await errorOf(collect(client().chatStream({ messages })));
    expect(err.code).toBe('UPSTREAM_ERROR');
    expect(err.message).toContain('malformed JSON in the stream');
  });

  it('retries a stream that is refused with 429 before its first byte', async () => {
    script = [
      json(429, { error: { message: 'slow down' } }, { 'retry-after': '0' }),
      stream([sseChunk('hi', 'stop'), 'data: [DONE]\n\n']),
    ];
    const deltas = await collect(client().chatStream({ messages }));
    expect(deltas.map((d) => d.content).join('')).toBe('hi');
    expect(requests).toHaveLength(2);
  });

  it('times out a server that never answers with TIMEOUT (not retried)', async () => {
    script = [() => {}];
    const err = await errorOf(client({ timeoutMs: 150, retries: 2 }).chat({ messages }));
    expect(err.code).toBe('TIMEOUT');
    expect(requests).toHaveLength(1);
  });

  it('times out a stream that stalls between chunks', async () => {
    script = [
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(sseChunk('first '));
      },
    ];
    const got: string[] = [];
    const err = await errorOf(
      (async () => {
        for await (const d of client({ timeoutMs: 200 }).chatStream({ messages })) got.push(d.content);
      })(),
    );
    expect(err.code).toBe('TIMEOUT');
    expect(got).toEqual(['first ']);
  });

  it('stops when the caller aborts, with ABORTED, including during a Retry-After wait', async () => {
    script = [json(429, { error: { message: 'wait' } }, { 'retry-after': '30' })];
    const ac = new AbortController();
    const p = errorOf(client({ maxRetryAfterMs: 60_000 }).chat({ messages, signal: ac.signal }));
    setTimeout(() => ac.abort(), 100);
    const err = await p;
    expect(err.code).toBe('ABORTED');
    expect(requests).toHaveLength(1);
  });

  it('fails at once with RATE_LIMITED when Retry-After exceeds maxRetryAfterMs', async () => {
    script = [json(429, { error: { message: 'quota' } }, { 'retry-after': '3600' })];
    const err = await errorOf(client().chat({ messages }));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.message).toContain('quota');
    expect(requests).toHaveLength(1);
  });
});

describe('not configured', () => {
  it('reports configured: false, throws LlmNotConfiguredError from chat, and tryChat lets the caller fall back', async () => {
    const llm = createLlmClient({ env: {} });
    expect(llm.configured).toBe(false);
    expect(llm.config).toMatchObject({ configured: false, reason: 'no-credentials' });
    const err = await errorOf(llm.chat({ messages }));
    expect(err).toBeInstanceOf(LlmNotConfiguredError);
    expect(err.code).toBe('NOT_CONFIGURED');
    await expect(collect(llm.chatStream({ messages }))).rejects.toBeInstanceOf(LlmNotConfiguredError);

    const r = await llm.tryChat({ messages });
    const reply = r.ok ? r.value.content : 'Template: we received your ticket.';
    expect(r).toMatchObject({ ok: false, reason: 'not-configured' });
    expect(reply).toBe('Template: we received your ticket.');
  });

  it('tryChat also falls back on a failed call, and returns the answer when it works', async () => {
    script = [json(401, { error: { message: 'bad key' } })];
    expect(await client().tryChat({ messages })).toMatchObject({
      ok: false,
      reason: 'failed',
      error: { code: 'UNAUTHORIZED' },
    });
    script = [completion('answer')];
    requests = [];
    expect(await client().tryChat({ messages })).toMatchObject({ ok: true, value: { content: 'answer' } });
  });

  it('never exposes the key in config or when the client is logged', () => {
    const llm = client();
    expect(llm.config).toMatchObject({ hasApiKey: true });
    expect(JSON.stringify(llm)).not.toContain(KEY);
    expect(JSON.stringify(llm.config)).not.toContain(KEY);
  });

  it('validates requests with INVALID_INPUT before any network call', async () => {
    await expect(client().chat({ messages: [] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(client().chat({ messages, temperature: 5 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(requests).toHaveLength(0);
  });
});
