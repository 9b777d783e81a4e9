import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAlert } from '@mlops/core';
import { webhookAlertSink } from '@mlops/plugin-alerts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  at: number;
}

type Responder = (req: IncomingMessage, res: ServerResponse, n: number) => void;

/** A real HTTP receiver on 127.0.0.1:0 whose behaviour each test scripts. */
let server: Server;
let base: string;
let received: Received[] = [];
let responder: Responder = (_req, res) => res.writeHead(200).end('ok');

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(text), at: Date.now() });
    responder(req, res, received.length);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
});

beforeEach(() => {
  received = [];
  responder = (_req, res) => res.writeHead(200).end('ok');
});

async function errorOf(p: Promise<unknown>): Promise<Error & { code?: string; details?: unknown }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

const fast = { initialMs: 5, maxMs: 200, factor: 2 };
const alert = (message = 'PSI 0.31 on text', severity: 'warning' | 'critical' | 'info' = 'warning') =>
  createAlert({
    severity,
    title: 'Drift on tickets v3',
    message,
    labels: { model: 'tickets', version: '3' },
    dedupeKey: 'drift:tickets:3',
  });

describe('webhookAlertSink against a real HTTP receiver', () => {
  it('POSTs the generic JSON payload with custom headers', async () => {
    const sink = webhookAlertSink({ url: `${base}/hooks/json`, headers: { authorization: 'Bearer t0k' } });
    expect(sink.name).toBe('webhook');
    await sink.send(alert());
    expect(received).toHaveLength(1);
    const [r] = received;
    expect(r?.path).toBe('/hooks/json');
    expect(r?.headers['content-type']).toBe('application/json');
    expect(r?.headers.authorization).toBe('Bearer t0k');
    expect(r?.body).toMatchObject({
      source: 'mlops',
      severity: 'warning',
      title: 'Drift on tickets v3',
      message: 'PSI 0.31 on text',
      labels: { model: 'tickets', version: '3' },
      dedupeKey: 'drift:tickets:3',
      suppressed: 0,
    });
    expect(sink.stats()).toEqual({ sent: 1, suppressed: 0, deduplicated: 0, failed: 0, retries: 0 });
  });

  it('POSTs a Slack-compatible payload (text + blocks)', async () => {
    const sink = webhookAlertSink({ url: `${base}/services/T000/B000/secret`, format: 'slack' });
    expect(sink.name).toBe('slack');
    await sink.send(alert('PSI 0.31', 'critical'));
    const body = received[0]?.body as { text: string; blocks: { type: string }[] };
    expect(body.text).toContain('[CRITICAL] Drift on tickets v3');
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'context']);
  });

  it('retries a receiver that fails first (503, then 200)', async () => {
    responder = (_req, res, n) => (n === 1 ? res.writeHead(503).end('busy') : res.writeHead(200).end('ok'));
    const sink = webhookAlertSink({ url: `${base}/flaky`, backoff: fast });
    const result = await sink.deliver(alert());
    expect(result).toMatchObject({ status: 'sent', attempts: 2, httpStatus: 200 });
    expect(received).toHaveLength(2);
    expect(received[1]?.body).toEqual(received[0]?.body);
    expect(sink.stats()).toMatchObject({ sent: 1, failed: 0, retries: 1 });
  });

  it('honours Retry-After on 429', async () => {
    responder = (_req, res, n) =>
      n === 1 ? res.writeHead(429, { 'retry-after': '0.15' }).end() : res.writeHead(200).end();
    const sink = webhookAlertSink({ url: `${base}/limited`, backoff: { initialMs: 1, maxMs: 1000, factor: 1 } });
    await sink.send(alert());
    expect(received).toHaveLength(2);
    // Backoff alone would wait ≤ 1 ms; the header asked for 150 ms (ordering only, generous margin).
    expect((received[1]?.at ?? 0) - (received[0]?.at ?? 0)).toBeGreaterThanOrEqual(100);
  });

  it('fails with RATE_LIMITED when Retry-After exceeds the longest backoff, without waiting', async () => {
    responder = (_req, res) => res.writeHead(429, { 'retry-after': '3600' }).end();
    const sink = webhookAlertSink({ url: `${base}/limited`, backoff: fast });
    await expect(sink.send(alert())).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(received).toHaveLength(1);
  });

  it('does not retry other 4xx, and never leaks the URL path (a Slack secret) in the error', async () => {
    responder = (_req, res) => res.writeHead(404).end('no_service');
    const sink = webhookAlertSink({ url: `${base}/services/T000/B000/s3cr3t`, backoff: fast, retries: 5 });
    const err = await errorOf(sink.send(alert()));
    expect(err).toMatchObject({ code: 'UPSTREAM_ERROR', details: { status: 404, attempts: 1 } });
    expect(err.message).toContain('HTTP 404: no_service');
    expect(err.message).not.toContain('s3cr3t');
    expect(received).toHaveLength(1);
    expect(sink.stats()).toMatchObject({ sent: 0, failed: 1, retries: 0 });
  });

  it('gives up after the configured retries on a persistent 500', async () => {
    responder = (_req, res) => res.writeHead(500).end('boom');
    const sink = webhookAlertSink({ url: `${base}/down`, backoff: fast, retries: 2 });
    await expect(sink.send(alert())).rejects.toMatchObject({ code: 'UPSTREAM_ERROR', details: { attempts: 3 } });
    expect(received).toHaveLength(3);
    expect(sink.stats()).toMatchObject({ failed: 1, retries: 2 });
  });

  it('times out a receiver that never answers, retrying, then fails with TIMEOUT', async () => {
    responder = () => {}; // never responds
    const sink = webhookAlertSink({ url: `${base}/hang`, timeoutMs: 100, retries: 1, backoff: fast });
    await expect(sink.send(alert())).rejects.toMatchObject({ code: 'TIMEOUT', details: { attempts: 2 } });
    expect(received).toHaveLength(2);
  });

  it('recovers after a timeout when the receiver answers the retry', async () => {
    responder = (_req, res, n) => {
      if (n > 1) res.writeHead(200).end();
    };
    const sink = webhookAlertSink({ url: `${base}/slow-once`, timeoutMs: 100, retries: 2, backoff: fast });
    expect(await sink.deliver(alert())).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('retries network errors (connection refused)', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const sink = webhookAlertSink({ url: `http://127.0.0.1:${port}/x`, retries: 2, backoff: fast });
    const err = await errorOf(sink.send(alert()));
    expect(err.code).toBe('UPSTREAM_ERROR');
    expect(err.message).toContain('after 3 attempts: network error');
    expect(sink.stats()).toMatchObject({ retries: 2, failed: 1 });
  });

  it('deduplicates: the same alert repeated within the window is sent once', async () => {
    const sink = webhookAlertSink({ url: `${base}/dedup`, dedupeWindowMs: 60_000, cooldownMs: 0 });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await sink.deliver(alert()));
    expect(results.map((r) => r.status)).toEqual([
      'sent',
      'deduplicated',
      'deduplicated',
      'deduplicated',
      'deduplicated',
    ]);
    expect(received).toHaveLength(1);
    // A changed condition (new message) is not a duplicate and carries the count of those suppressed.
    await sink.send(alert('PSI 0.45 on text'));
    expect(received).toHaveLength(2);
    expect(received[1]?.body).toMatchObject({ message: 'PSI 0.45 on text', suppressed: 4 });
    expect(sink.stats()).toEqual({ sent: 2, suppressed: 4, deduplicated: 4, failed: 0, retries: 0 });
  });

  it('concurrent identical alerts are still sent once', async () => {
    responder = (_req, res) => setTimeout(() => res.writeHead(200).end(), 50);
    const sink = webhookAlertSink({ url: `${base}/burst`, dedupeWindowMs: 60_000 });
    const results = await Promise.all(Array.from({ length: 10 }, () => sink.deliver(alert())));
    expect(results.filter((r) => r.status === 'sent')).toHaveLength(1);
    expect(received).toHaveLength(1);
  });

  it('cooldown: a flapping monitor sends one alert per cooldown, the next one carrying the suppressed count', async () => {
    const cooldownMs = 300;
    const sink = webhookAlertSink({ url: `${base}/flap`, dedupeWindowMs: 0, cooldownMs });
    // Flap between two states quickly: only the first gets through.
    for (let i = 0; i < 6; i++) await sink.send(alert(i % 2 === 0 ? 'drifted' : 'recovered', 'warning'));
    expect(received).toHaveLength(1);
    // An escalation breaks through the cooldown.
    await sink.send(alert('drifted badly', 'critical'));
    expect(received).toHaveLength(2);
    expect(received[1]?.body).toMatchObject({ severity: 'critical', suppressed: 5 });
    await new Promise((r) => setTimeout(r, cooldownMs + 100));
    await sink.send(alert('recovered', 'info'));
    expect(received).toHaveLength(3);
    expect(received[2]?.body).toMatchObject({ severity: 'info', suppressed: 0 });
    expect(sink.stats()).toMatchObject({ sent: 3, suppressed: 5, deduplicated: 0 });
  });

  it('a failed delivery does not silence the key: the next alert is retried and carries the counts', async () => {
    responder = (_req, res, n) => (n === 1 ? res.writeHead(400).end('bad') : res.writeHead(200).end());
    const sink = webhookAlertSink({ url: `${base}/fail-then-ok`, dedupeWindowMs: 60_000, cooldownMs: 60_000 });
    await expect(sink.send(alert())).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(await sink.deliver(alert())).toMatchObject({ status: 'sent' });
    expect(received).toHaveLength(2);
  });

  it('rejects invalid options with INVALID_INPUT and invalid alerts', async () => {
    expect(() => webhookAlertSink({ url: 'ftp://example.com/x' })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    expect(() => webhookAlertSink({ url: base, retries: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    const sink = webhookAlertSink({ url: base });
    await expect(sink.send({ ...alert(), title: '' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(received).toHaveLength(0);
  });
});
