import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedModel } from '../../../test/fixtures/seed-model.js';
import { type CliContext, createCliContext } from '../../context.js';
import { bufferSink, createOutput } from '../../output.js';
import { run } from '../../program.js';
import { parseDuration, parseModelRetention } from './command.js';
import { serveCommand } from './handlers.js';

let dir: string;
let ctx: CliContext;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-cli-serve-ui-'));
  await seedModel(`pglite://${join(dir, 'db')}`, join(dir, 'objects'));
  ctx = createCliContext({ store: `pglite://${join(dir, 'db')}`, objects: join(dir, 'objects'), env: {}, cwd: dir });
}, 120_000);
afterAll(async () => {
  await ctx?.close();
  await rm(dir, { recursive: true, force: true });
});

const predict = async (url: string) => {
  const res = await fetch(`${url}/v1/models/toy/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: { a: [2, -2, 1], b: [2, -2, 1] } }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { version: string; predictions: { outputs: { label: number } }[] };
};

describe('mlops serve --ui (one process serves the models and the dashboard over one embedded store)', () => {
  it('mounts the dashboard at /ui, whose page and API answer and promote, while predictions and retention run', async () => {
    const stdout = bufferSink();
    let info: { url: string; close: () => Promise<void> } | undefined;
    const done = serveCommand(
      {
        models: ['toy'],
        port: 0,
        ui: true,
        retention: { maxRows: 1, intervalMs: 50 },
        onListening: (i) => (info = i),
      },
      ctx,
      createOutput({ json: true, stdout, stderr: bufferSink() }),
    );
    await expect.poll(() => info, { timeout: 60_000 }).toBeDefined();
    const url = info!.url;
    try {
      expect(new URL(url).hostname).toBe('127.0.0.1');
      expect(JSON.parse(stdout.text)).toMatchObject({
        url,
        ui: `${url}/ui/`,
        registry: `${url}/registry`,
        retention: { maxRows: 1, intervalMs: 50 },
      });
      // Predictions are served.
      const first = await predict(url);
      expect(first.predictions.map((p) => p.outputs.label)).toEqual([1, 0, 1]);
      expect(String(first.version)).toBe('1');

      // The dashboard: its page, its assets, its API (runs, models, monitoring) over the server's store.
      const page = await fetch(`${url}/ui/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('assets/app.js');
      expect((await fetch(`${url}/ui`, { redirect: 'manual' })).status).toBe(308);
      const models = (await (await fetch(`${url}/ui/api/models`)).json()) as {
        models: { name: string; aliases: { alias: string; version: number }[] }[];
      };
      expect(models.models).toEqual([
        expect.objectContaining({ name: 'toy', aliases: [{ alias: 'production', version: 1 }] }),
      ]);
      expect((await fetch(`${url}/ui/api/runs`)).status).toBe(200);
      await expect
        .poll(
          async () => ((await (await fetch(`${url}/ui/api/monitoring/models`)).json()) as { models: unknown[] }).models,
          {
            timeout: 10_000,
          },
        )
        .toEqual(['toy']);

      // Promote from the dashboard: the server (same process, same registry) hot-swaps.
      const promoted = await fetch(`${url}/ui/api/models/toy/promote`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ version: 2 }),
      });
      expect(promoted.status).toBe(200);
      await expect.poll(async () => String((await predict(url)).version), { timeout: 20_000 }).toBe('2');

      // Retention keeps one prediction of toy: the others are pruned and counted on /metrics.
      await expect
        .poll(
          async () => {
            const text = await (await fetch(`${url}/metrics`)).text();
            return Number(/mlops_prediction_log_pruned_total\{model="toy"\} (\d+)/.exec(text)?.[1] ?? 0);
          },
          { timeout: 20_000 },
        )
        .toBeGreaterThanOrEqual(2);
    } finally {
      await info?.close();
    }
    await done;
    await expect(fetch(url)).rejects.toThrow();
  }, 120_000);
});

describe('mlops serve options', () => {
  it('parses durations and per-model retention, and rejects bad values as usage errors (exit 2)', async () => {
    expect(parseDuration('30d', 'x')).toBe(30 * 86_400_000);
    expect(parseDuration('90m', 'x')).toBe(90 * 60_000);
    expect(() => parseDuration('forever', 'retention-max-age')).toThrow('Invalid --retention-max-age "forever"');
    expect(parseModelRetention('audit=keep', parseModelRetention('churn=7d,5000'))).toEqual({
      churn: { maxAgeMs: 7 * 86_400_000, maxRows: 5000 },
      audit: false,
    });
    expect(() => parseModelRetention('churn')).toThrow('Invalid --retention-model "churn"');

    for (const args of [
      ['serve', 'toy', '--retention-max-age', 'forever'],
      ['serve', 'toy', '--retention-max-rows', '0'],
      ['serve', 'toy', '--retention-interval', '1m'],
      ['serve', 'toy', '--log-inputs', 'some'],
    ]) {
      const stderr = bufferSink();
      expect(await run(args, { stdout: bufferSink(), stderr, env: {} }), args.join(' ')).toBe(2);
    }
  });

  it('lists --ui, the retention options and --log-inputs in the help', async () => {
    const stdout = bufferSink();
    expect(await run(['serve', '--help'], { stdout, stderr: bufferSink(), env: {} })).toBe(0);
    for (const flag of [
      '--ui',
      '--retention-max-age',
      '--retention-max-rows',
      '--retention-model',
      '--retention-interval',
      '--log-inputs',
    ]) {
      expect(stdout.text).toContain(flag);
    }
  });
});
