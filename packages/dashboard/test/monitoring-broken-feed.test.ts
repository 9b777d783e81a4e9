// Issue 20: the monitoring page shows a broken feed as its own verdict — a banner, a 'feed' alert, and the blocked
// retraining decision — evaluated with @mlops/monitoring as the server's gauges are. Before, the page passed only
// the reference features present in the logged inputs, so a feature that never arrives read as "no drift".
import { existsSync } from 'node:fs';
import { createStore, type Store } from '@mlops/core';
import { createPredictionLogger } from '@mlops/core/predictions';
import { type ListeningDashboard, listenDashboard } from '@mlops/dashboard';
import { createProfile } from '@mlops/drift';
import { createContinuousTrainingPolicy } from '@mlops/pipelines';
import { createRegistry, type Registry } from '@mlops/registry';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env.MLOPS_CHROMIUM ?? '/usr/bin/chromium';
const SKIP_BROWSER = process.env.MLOPS_SKIP_BROWSER === '1';

let store: Store;
let registry: Registry;
let dash: ListeningDashboard;
const retrains: number[] = [];

beforeAll(async () => {
  store = await createStore('memory://');
  registry = await createRegistry({ store });
  await registry.createModel({ name: 'feed' });
  const n = 200;
  const reference = createProfile({
    tenure: Array.from({ length: n }, (_, i) => i % 60),
    plan: Array.from({ length: n }, (_, i) => (i % 3 ? 'basic' : 'pro')),
    // A feature the served inputs no longer carry (renamed upstream to `customer_age`).
    age: Array.from({ length: n }, (_, i) => 20 + (i % 50)),
  });
  await registry.createVersion({
    model: 'feed',
    packageDigest: `sha256:${'0'.repeat(64)}`,
    flavor: 'test',
    profile: reference,
  });
  await registry.setAlias({ model: 'feed', alias: 'production', version: 1 });
  const logger = createPredictionLogger({ store, flushIntervalMs: 10 });
  logger.logBatch({
    requestId: 'r1',
    model: 'feed',
    version: '1',
    alias: 'production',
    inputs: {
      tenure: Array.from({ length: 80 }, (_, i) => i % 60),
      plan: Array.from({ length: 80 }, (_, i) => (i % 3 ? 'basic' : 'pro')),
      customer_age: Array.from({ length: 80 }, (_, i) => 20 + (i % 50)),
    },
    outputs: { label: Array.from({ length: 80 }, () => 'stay') },
  });
  await logger.close();
  // The continuous-training policy sees the same broken feed and records a blocked decision (and retrains nothing).
  const policy = createContinuousTrainingPolicy({
    store,
    registry,
    model: 'feed',
    triggers: { schedule: { everyMs: 1 } },
    retrain: async () => {
      retrains.push(1);
      return { version: 1 };
    },
  });
  expect((await policy.runOnce()).status).toBe('blocked');
  dash = await listenDashboard({ store, registry, port: 0 });
}, 120_000);

afterAll(async () => {
  await dash?.close();
  await registry?.close();
  await store?.close();
});

describe('monitoring page: a broken feed', () => {
  it('the API gives the current window and every bucket the broken verdict, with a feed alert', async () => {
    const res = await fetch(new URL('api/monitoring?model=feed&buckets=1&minSamples=30', dash.url));
    expect(res.status).toBe(200);
    const m = (await res.json()) as {
      current: { status: string; feedProblems: string[]; features: { feature: string; problem: string | null }[] };
      buckets: { status: string; datasetDrift: boolean | null; feedProblems: string[] }[];
      alerts: { kind: string; severity: string; message: string }[];
    };
    expect(m.current.status).toBe('broken');
    expect(m.current.feedProblems).toEqual(['age: missing from the logged inputs']);
    expect(m.current.features.find((f) => f.feature === 'age')!.problem).toBe('missing');
    expect(m.buckets[0]).toMatchObject({ status: 'broken', datasetDrift: null });
    expect(m.alerts.filter((a) => a.kind === 'feed').map((a) => a.severity)).toEqual(['critical']);
    expect(m.alerts).toContainEqual(
      expect.objectContaining({ kind: 'retrain', severity: 'critical', message: expect.stringContaining('blocked') }),
    );
    expect(retrains).toEqual([]);
  });

  it.skipIf(SKIP_BROWSER)(
    'the page opens with a broken-feed banner naming the missing column',
    async () => {
      if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (MLOPS_SKIP_BROWSER=1 to skip)`);
      let browser: Browser | undefined;
      try {
        browser = await chromium.launch({
          executablePath: CHROMIUM,
          args: ['--headless', '--no-sandbox'],
          timeout: 30_000,
        });
        const page = await browser.newPage();
        page.setDefaultTimeout(15_000);
        await page.goto(`${dash.url}#/monitoring?model=feed`);
        const banner = page.getByTestId('feed-broken');
        await banner.waitFor({ state: 'visible' });
        expect(await banner.getAttribute('role')).toBe('alert');
        const text = await banner.textContent();
        expect(text).toContain('Broken feed');
        expect(text).toContain('age: missing from the logged inputs');
        expect(await page.getByTestId('current-status').textContent()).toBe('broken');
      } finally {
        await browser?.close();
      }
    },
    60_000,
  );
});
