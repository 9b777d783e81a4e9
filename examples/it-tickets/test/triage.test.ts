// POST /tickets/triage over real HTTP on 127.0.0.1: two small linear models trained on a slice of the real tickets,
// packaged, loaded and served by @mlops/serve with a PGlite prediction log; the route from createTriage; an
// OpenAI-compatible mock LLM server (node:http) for the LLM path.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createStore,
  fsObjectStore,
  loadModelPackage,
  type Predictor,
  type SignatureInput,
  type Store,
  saveModelPackage,
} from '@mlops/core';
import { errorBodySchema } from '@mlops/core/http';
import { readPredictions } from '@mlops/core/predictions';
import { type CsrMatrix, preprocessingPipeline, tfidfVectorizer } from '@mlops/core/preprocessing';
import { loadTestData } from '@mlops/core/testing';
import { loadTicketTopics, loadTicketUrgency, TICKET_TOPICS } from '@mlops/datasets';
import { linearFlavor, linearOutputSignature, linearTrainer } from '@mlops/plugin-linear';
import { createLlmClient } from '@mlops/plugin-llm';
import { createRegistry } from '@mlops/registry';
import { createModelServer, type ListeningServer, type ModelServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTriage, registryClasses, type TriageResponse, ticketText } from '../src/triage/index.js';

interface MockCall {
  path: string;
  headers: IncomingMessage['headers'];
  body: { model: string; messages: { role: string; content: string }[]; max_tokens?: number };
}

/** An OpenAI-compatible `POST /v1/chat/completions` server; `mode` picks a normal answer, a 503 or a slow answer. */
async function mockLlm(mode: 'ok' | 'error' | 'slow') {
  const calls: MockCall[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const body = JSON.parse(raw) as MockCall['body'];
      calls.push({ path: req.url ?? '', headers: req.headers, body });
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }));
        return;
      }
      if (mode === 'error') {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'The engine is currently overloaded', type: 'server_error' } }));
        return;
      }
      const ids = [...body.messages.at(-1)!.content.matchAll(/\[(KB-[A-Z]{2}-\d{3})\]/g)].map((m) => m[1]);
      const answer = {
        id: 'chatcmpl-mock-1',
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: `${body.model}-2026-01-01`,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: `Hello, please follow the steps in [${ids[0]}]. Best regards.` },
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 812, completion_tokens: 24, total_tokens: 836 },
      };
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      };
      if (mode === 'slow') setTimeout(send, 5_000).unref();
      else send();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    calls,
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A TF-IDF + softmax model on (text, label) pairs, saved as a model package and loaded back as a predictor. */
async function trainAndLoad(
  texts: string[],
  labels: string[],
  store: Store,
  objects: ReturnType<typeof fsObjectStore>,
): Promise<{ predictor: Predictor; classes: string[]; digest: string; signature: SignatureInput }> {
  const { fitted, output } = preprocessingPipeline<CsrMatrix>([
    tfidfVectorizer({ column: 'text', ngramRange: [1, 2], minDf: 2, sublinearTf: true }),
  ]).fitTransform({ text: texts });
  const model = await linearTrainer({ C: 4, maxIter: 100 }).fit({ x: output, y: labels }, {}, {});
  const signature: SignatureInput = {
    inputs: [{ name: 'text', type: 'string' }],
    outputs: linearOutputSignature(model),
  };
  const pkg = await saveModelPackage({
    objects,
    store,
    flavor: linearFlavor(),
    model,
    signature,
    preprocessing: fitted,
    lineage: {},
  });
  const { predictor } = await loadModelPackage({ objects, digest: pkg.digest, flavors: [linearFlavor()] });
  return { predictor, classes: [...model.classes].map(String), digest: pkg.digest, signature };
}

let store: Store;
let registry: Awaited<ReturnType<typeof createRegistry>>;
let dir: string;
let server: ModelServer;
let listening: ListeningServer;
let url: string;
let topicClasses: string[];
// Each probability must sit under its own class: the served model's probabilities in class order, for one text.
let topicPredictor: Predictor;
let urgencyClasses: string[];
const mocks: Awaited<ReturnType<typeof mockLlm>>[] = [];
let okLlm: Awaited<ReturnType<typeof mockLlm>>;

/** A triage response, or an error body (`code`, `details`). */
type Answer = TriageResponse & { error?: { code: string; details: { path: string }[] } };

async function post(path: string, body: unknown): Promise<{ status: number; json: Answer }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Answer };
}

const HARDWARE_TICKET = {
  title: 'laptop screen broken',
  body: 'hi my laptop screen cracked monitor not working docking station connection cable please help thanks',
};

// The models train on real tickets, read offline only (a test never downloads); without them the suite is skipped
// and says so (an error in CI, which has the data).
const topics = await loadTestData('IT tickets (topics)', () => loadTicketTopics({ offline: true }));
const urgency = await loadTestData('IT tickets (urgency)', () => loadTicketUrgency({ offline: true }));

beforeAll(async () => {
  if (!topics || !urgency) return;
  dir = mkdtempSync(join(tmpdir(), 'triage-test-'));
  store = await createStore('memory://');
  const objects = fsObjectStore({ dir: join(dir, 'objects') });

  // A small slice of the real data: 150 tickets per topic; every urgency ticket of type 0 plus 300 of type 1.
  const perTopic = new Map<string, number>();
  const topicRows = topics.rows.filter((r) => {
    const n = perTopic.get(r.topic) ?? 0;
    perTopic.set(r.topic, n + 1);
    return n < 150;
  });
  const urgencyRows = [
    ...urgency.rows.filter((r) => r.ticketType === 0),
    ...urgency.rows.filter((r) => r.ticketType === 1).slice(0, 300),
  ];
  const topicModel = await trainAndLoad(
    topicRows.map((r) => r.text),
    topicRows.map((r) => r.topic),
    store,
    objects,
  );
  const urgencyModel = await trainAndLoad(
    urgencyRows.map((r) => ticketText(r.title, r.body)),
    urgencyRows.map((r) => String(r.urgency)),
    store,
    objects,
  );
  topicClasses = topicModel.classes;
  topicPredictor = topicModel.predictor;
  urgencyClasses = urgencyModel.classes;

  // The topic model follows a registry alias, as in main.ts; the urgency model is a fixed predictor.
  registry = await createRegistry({ store });
  await registry.createModel({ name: 'ticket-topic' });
  for (let i = 0; i < 2; i++) {
    await registry.createVersion({
      model: 'ticket-topic',
      packageDigest: topicModel.digest,
      flavor: linearFlavor().name,
      signature: topicModel.signature,
    });
  }
  await registry.promote({ model: 'ticket-topic', version: 2, alias: 'production' });
  server = createModelServer({
    models: [
      { name: 'ticket-topic', registry, alias: 'production', objects, flavors: [linearFlavor()] },
      { name: 'ticket-urgency', predictor: urgencyModel.predictor, version: '7' },
    ],
    store,
    monitoring: false,
    defaultMetrics: false,
    onError: () => {},
  });
  const models = {
    // The class order of the served version, read from its registry signature (as main.ts does).
    topicModel: { name: 'ticket-topic', classes: registryClasses(registry, 'ticket-topic') },
    urgencyModel: { name: 'ticket-urgency', classes: urgencyClasses },
  };
  // No key anywhere: the template fallback.
  server.route(createTriage({ ...models, llm: createLlmClient({ env: {} }) }).route);

  okLlm = await mockLlm('ok');
  const failing = await mockLlm('error');
  const slow = await mockLlm('slow');
  mocks.push(okLlm, failing, slow);
  const client = (baseUrl: string) =>
    createLlmClient({ baseUrl, apiKey: 'sk-test-123', model: 'gpt-4o-mini', retries: 0, env: {} });
  for (const [path, llm, replyTimeoutMs] of [
    ['/tickets/triage-llm', client(okLlm.baseUrl), 10_000],
    ['/tickets/triage-llm-down', client(failing.baseUrl), 10_000],
    ['/tickets/triage-llm-slow', client(slow.baseUrl), 300],
  ] as const) {
    const t = createTriage({ ...models, llm, replyTimeoutMs });
    server.route({ ...t.route, path });
  }
  listening = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
  url = listening.url;
  await server.ready();
});

afterAll(async () => {
  await listening?.close();
  await registry?.close();
  await Promise.all(mocks.map((m) => m.close()));
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!topics || !urgency)('POST /tickets/triage [real-data]', () => {
  it('answers 400 with field paths for a missing body, a wrong type, too long a title and unknown fields', async () => {
    const cases: [unknown, string][] = [
      [{ title: 'vpn' }, 'body.body'],
      [{ title: 42, body: 'printer jammed' }, 'body.title'],
      [{ title: 'x'.repeat(301), body: 'printer jammed' }, 'body.title'],
      [{ body: '   ' }, 'body.body'],
      [{ body: 'x'.repeat(20_001) }, 'body.body'],
      [{ body: 'printer jammed', priority: 'high' }, 'body.priority'],
    ];
    for (const [body, path] of cases) {
      const r = await post('/tickets/triage', body);
      expect(r.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(errorBodySchema.parse(r.json).error.code).toBe('INVALID_INPUT');
      expect(r.json.error?.details.map((d) => d.path)).toContain(path);
    }
  });

  it('returns both predictions with their versions, articles of the predicted topic and a template reply', async () => {
    const r = await post('/tickets/triage', HARDWARE_TICKET);
    expect(r.status).toBe(200);
    const t = r.json as TriageResponse;
    expect(t.triageId).toMatch(/\S/);
    expect(t.topic).toMatchObject({ label: 'Hardware', model: 'ticket-topic', version: '2' });
    expect(Object.keys(t.topic.probabilities)).toEqual(topicClasses);
    expect([...topicClasses].sort()).toEqual([...TICKET_TOPICS].sort());
    const sum = Object.values(t.topic.probabilities).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 6);
    expect(t.topic.probabilities.Hardware).toBe(Math.max(...Object.values(t.topic.probabilities)));
    const direct = await topicPredictor.predict({ text: [ticketText(HARDWARE_TICKET.title, HARDWARE_TICKET.body)] });
    const row = (direct.probabilities as number[][])[0]!;
    for (const [i, c] of topicClasses.entries()) expect(t.topic.probabilities[c]).toBeCloseTo(row[i]!, 12);
    expect(t.urgency.model).toBe('ticket-urgency');
    expect(t.urgency.version).toBe('7');
    expect(urgencyClasses).toContain(t.urgency.label);
    expect(Object.keys(t.urgency.probabilities).sort()).toEqual([...urgencyClasses].sort());

    expect(t.articles).toHaveLength(3);
    expect(t.articles[0]!.topic).toBe('Hardware');
    expect(t.articles[0]!.path).toMatch(/^kb\/hardware-.+\.md$/);
    expect(t.articles.map((a) => a.score)).toEqual([...t.articles.map((a) => a.score)].sort((a, b) => b - a));

    expect(t.reply.source).toBe('template');
    expect(t.reply.reason).toMatch(/no LLM configured/);
    expect(t.reply.text).toContain(`[${t.articles[0]!.id}]`);
    expect(t.reply.text).toContain('Hardware team');
    expect(t.latencyMs).toBeGreaterThan(0);
  });

  it('logs both predictions under the triage id, with the ticket text as input', async () => {
    const { json: t } = await post('/tickets/triage', {
      title: 'mailbox full',
      body: 'mailbox almost full please increase quota size archive',
    });
    await server.logger!.flush();
    for (const [model, pred] of [
      ['ticket-topic', t.topic],
      ['ticket-urgency', t.urgency],
    ] as const) {
      const logged = (await readPredictions({ store, model, limit: 1000 })).filter((p) => p.requestId === t.triageId);
      expect(logged).toHaveLength(1);
      expect(logged[0]!.id).toBe(pred.predictionId);
      expect(logged[0]!.version).toBe(pred.version);
      expect(logged[0]!.inputs).toEqual({
        text: 'mailbox full mailbox almost full please increase quota size archive',
      });
      expect((logged[0]!.outputs as { label: unknown }).label).toBe(pred.label);
    }
  });

  it('takes feedback for both models by triage id', async () => {
    const { json: t } = await post('/tickets/triage', HARDWARE_TICKET);
    const fb = await post('/v1/feedback', {
      requestId: t.triageId,
      labels: { 'ticket-topic': 'Storage', 'ticket-urgency': '1' },
    });
    expect(fb.status).toBe(201);
    await server.logger!.flush();
    const truth = async (model: string) =>
      (await readPredictions({ store, model, withFeedback: true, limit: 1000 })).find((p) => p.requestId === t.triageId)
        ?.feedback?.label;
    expect(await truth('ticket-topic')).toBe('Storage');
    expect(await truth('ticket-urgency')).toBe('1');
  });

  it('drafts the reply with the LLM through the chat-completions protocol, citing the retrieved articles', async () => {
    const before = okLlm.calls.length;
    const r = await post('/tickets/triage-llm', HARDWARE_TICKET);
    expect(r.status).toBe(200);
    const t = r.json as TriageResponse;
    expect(okLlm.calls).toHaveLength(before + 1);
    const call = okLlm.calls.at(-1)!;
    expect(call.path).toBe('/v1/chat/completions');
    expect(call.headers.authorization).toBe('Bearer sk-test-123');
    expect(call.body.model).toBe('gpt-4o-mini');
    expect(call.body.messages[0]!.role).toBe('system');
    const prompt = call.body.messages.at(-1)!.content;
    expect(prompt).toContain(HARDWARE_TICKET.title);
    expect(prompt).toContain(HARDWARE_TICKET.body);
    for (const a of t.articles) expect(prompt).toContain(`[${a.id}]`);
    expect(t.reply).toEqual({
      text: `Hello, please follow the steps in [${t.articles[0]!.id}]. Best regards.`,
      source: 'llm',
      model: 'gpt-4o-mini-2026-01-01',
    });
  });

  it('falls back to the template, saying why, when the LLM fails or does not answer in time', async () => {
    const down = (await post('/tickets/triage-llm-down', HARDWARE_TICKET)).json as TriageResponse;
    expect(down.reply.source).toBe('template');
    expect(down.reply.reason).toMatch(/LLM call failed \(UPSTREAM_ERROR\).*503.*overloaded/);
    expect(down.reply.reason).not.toContain('sk-test-123');
    expect(down.reply.text).toContain(`[${down.articles[0]!.id}]`);

    const slow = (await post('/tickets/triage-llm-slow', HARDWARE_TICKET)).json as TriageResponse;
    expect(slow.reply.source).toBe('template');
    expect(slow.reply.reason).toBe('the LLM did not answer within 300 ms');
    expect(slow.topic.label).toBe('Hardware');
  });

  it('is listed in /openapi.json with its request and response schemas', async () => {
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as {
      paths: Record<string, { post?: { requestBody?: unknown; responses?: Record<string, unknown> } }>;
    };
    const op = doc.paths['/tickets/triage']?.post;
    expect(op).toBeDefined();
    expect(JSON.stringify(op!.requestBody)).toContain('"body"');
    expect(JSON.stringify(op!.responses)).toContain('triageId');
  });
});
