import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isMlopsError, type Predictor } from '@mlops/core';
import { setupTelemetry, type TelemetryHandle } from '@mlops/plugin-otel';
import { createModelServer, type ListeningServer } from '@mlops/serve';
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// biome-ignore lint/suspicious/noExplicitAny: OTLP JSON bodies are walked freely in assertions
type Json = any;

interface Received {
  path: string;
  contentType: string | undefined;
  body: Json;
}

/** A real OTLP/HTTP receiver: accepts POST /v1/traces and /v1/metrics with JSON bodies. */
async function startReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !['/v1/traces', '/v1/metrics', '/v1/logs'].includes(req.url ?? '')) {
        res.writeHead(404).end();
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({ path: req.url!, contentType: req.headers['content-type'], body: JSON.parse(text) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, received };
}

/** OTLP JSON attributes (`[{ key, value: { stringValue } }]`) as a plain object. */
function attrs(list: Json[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) {
    const v = value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue;
    out[key] = typeof v === 'string' && value.intValue !== undefined ? Number(v) : v;
  }
  return out;
}

/** y = 2x, batchable (as in serve's own tests). */
const double: Predictor = {
  signature: {
    inputs: [{ name: 'x', type: 'float64', shape: [] }],
    outputs: [{ name: 'y', type: 'float64', shape: [] }],
  },
  batchable: true,
  predict: async (inputs) => ({ y: Float64Array.from(inputs.x as Float64Array, (v) => 2 * v) }),
};

const ENV_KEYS = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_TRACES_EXPORTER',
  'OTEL_METRICS_EXPORTER',
  'OTEL_LOGS_EXPORTER',
  'OTEL_SERVICE_NAME',
  'OTEL_SDK_DISABLED',
] as const;

describe('setupTelemetry with a real OTLP/HTTP receiver', () => {
  const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const handles: TelemetryHandle[] = [];
  const listening: ListeningServer[] = [];

  beforeAll(async () => {
    receiver = await startReceiver();
    for (const k of ENV_KEYS) delete process.env[k];
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
    process.env.OTEL_LOGS_EXPORTER = 'none';
  });

  afterAll(async () => {
    for (const l of listening) await l.close();
    // Never leave a global tracer/meter provider registered for other test files.
    for (const h of handles) await h.shutdown();
    for (const k of ENV_KEYS) {
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
    }
    await new Promise((r) => receiver.server.close(r));
  });

  it('exports the span of a real prediction request with the model name and version, and core Telemetry spans and metrics', async () => {
    const telemetry = setupTelemetry();
    handles.push(telemetry);
    const server = createModelServer({ models: [{ name: 'double', version: '7', predictor: double }] });
    const l = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
    listening.push(l);

    const res = await fetch(`${l.url}/v1/models/double/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [{ x: 1 }, { x: 2 }, { x: 3 }] }),
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Json;
    expect(answer.predictions.map((p: Json) => p.outputs.y)).toEqual([2, 4, 6]);

    // core's Telemetry contract, on the same SDK
    const out = await telemetry.startSpan('evaluate', { model: 'double', skipped: undefined }, (span) => {
      span.setAttribute('rows', 3);
      span.addEvent('scored', { accuracy: 0.5 });
      return 'done';
    });
    expect(out).toBe('done');
    await expect(
      telemetry.startSpan('failing', {}, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    telemetry.counter('mlops_test_predictions_total', { unit: '1' }).add(3, { model: 'double' });
    telemetry.histogram('mlops_test_latency_ms', { unit: 'ms' }).record(12.5);

    await l.close();
    await telemetry.shutdown(); // flushes spans and metrics

    const traces = receiver.received.filter((r) => r.path === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    expect(traces.every((t) => t.contentType?.startsWith('application/json'))).toBe(true);
    const resourceSpans: Json[] = traces.flatMap((t) => t.body.resourceSpans);
    for (const rs of resourceSpans) expect(attrs(rs.resource.attributes)['service.name']).toBe('mlops-serve');
    const spans: Json[] = resourceSpans.flatMap((rs) =>
      rs.scopeSpans.flatMap((ss: Json) => ss.spans.map((s: Json) => ({ ...s, scope: ss.scope.name }))),
    );

    const predict = spans.find((s) => s.name === 'predict double');
    expect(predict).toBeDefined();
    expect(predict.scope).toBe('@mlops/serve');
    expect(attrs(predict.attributes)).toMatchObject({ 'mlops.model': 'double', 'mlops.version': '7', 'mlops.rows': 3 });

    const evaluate = spans.find((s) => s.name === 'evaluate');
    expect(attrs(evaluate.attributes)).toEqual({ model: 'double', rows: 3 });
    expect(evaluate.events.map((e: Json) => e.name)).toEqual(['scored']);
    const failing = spans.find((s) => s.name === 'failing');
    expect(failing.status.code).toBe(2); // STATUS_CODE_ERROR
    expect(failing.events.map((e: Json) => e.name)).toContain('exception');

    const metricNames = receiver.received
      .filter((r) => r.path === '/v1/metrics')
      .flatMap((r) => r.body.resourceMetrics)
      .flatMap((rm: Json) => rm.scopeMetrics.flatMap((sm: Json) => sm.metrics));
    const counter = metricNames.find((m: Json) => m.name === 'mlops_test_predictions_total');
    expect(counter).toBeDefined();
    expect(Number(counter.sum.dataPoints[0].asInt ?? counter.sum.dataPoints[0].asDouble)).toBe(3);
    expect(attrs(counter.sum.dataPoints[0].attributes)).toEqual({ model: 'double' });
    const histogram = metricNames.find((m: Json) => m.name === 'mlops_test_latency_ms');
    expect(histogram.histogram.dataPoints[0].sum).toBe(12.5);
  });

  it('refuses a second setup while one is active, and shutdown unregisters the global providers', async () => {
    process.env.OTEL_SERVICE_NAME = 'from-env';
    const telemetry = setupTelemetry({ metrics: false });
    handles.push(telemetry);
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(true);
    let err: unknown;
    try {
      setupTelemetry();
    } catch (e) {
      err = e;
    }
    expect(isMlopsError(err, 'CONFLICT')).toBe(true);

    const before = receiver.received.length;
    await telemetry.startSpan('named', {}, () => undefined);
    await telemetry.shutdown();
    await telemetry.shutdown(); // idempotent
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);

    const sent = receiver.received.slice(before);
    expect(sent.some((r) => r.path === '/v1/metrics')).toBe(false);
    const named = sent
      .filter((r) => r.path === '/v1/traces')
      .flatMap((r) => r.body.resourceSpans)
      .find((rs: Json) => rs.scopeSpans.some((ss: Json) => ss.spans.some((s: Json) => s.name === 'named')));
    expect(attrs(named.resource.attributes)['service.name']).toBe('from-env');

    // After shutdown, setup works again.
    const again = setupTelemetry({ metrics: false, serviceName: 'explicit' });
    handles.push(again);
    await again.shutdown();
  });
});
