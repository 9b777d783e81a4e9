// End to end in a real browser: Debian's chromium driven by playwright-core (never a browser download). Seeds a store
// with a short pipeline, opens the dashboard, compares two runs, promotes and rolls back a model, checks keyboard
// navigation and that the page makes no request outside its own origin.
//
// Needs /usr/bin/chromium (`apt-get install -y chromium`; MLOPS_CHROMIUM overrides the path). Without it the test
// FAILS, unless MLOPS_SKIP_BROWSER=1. Screenshots go to a temporary folder, or to docs/images (what
// docs/dashboard.md shows) with MLOPS_UPDATE_SCREENSHOTS=1.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createStore, type Store } from '@mlops/core';
import { type ListeningDashboard, listenDashboard } from '@mlops/dashboard';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Seeded, seedStore } from './seed.js';

const CHROMIUM = process.env.MLOPS_CHROMIUM ?? '/usr/bin/chromium';
const SKIP = process.env.MLOPS_SKIP_BROWSER === '1';
const REPO = resolve(import.meta.dirname, '../../..');

describe.skipIf(SKIP)('dashboard in chromium', () => {
  let store: Store;
  let seeded: Seeded;
  let dash: ListeningDashboard;
  let browser: Browser;
  let page: Page;
  let shots: string;
  const foreign: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium), set MLOPS_CHROMIUM to its path, ` +
          'or set MLOPS_SKIP_BROWSER=1 to skip the browser tests.',
      );
    }
    shots =
      process.env.MLOPS_UPDATE_SCREENSHOTS === '1'
        ? join(REPO, 'docs', 'images')
        : await mkdtemp(join(tmpdir(), 'mlops-dashboard-shots-'));
    await mkdir(shots, { recursive: true });
    store = await createStore('memory://');
    seeded = await seedStore(store);
    dash = await listenDashboard({ store, registry: seeded.registry, objects: seeded.objects, port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-background-networking'],
      timeout: 30_000,
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const origin = new URL(dash.url).origin;
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) || url.startsWith('data:')) return route.continue();
      foreign.push(url);
      return route.abort();
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await dash?.close();
    await seeded?.registry.close();
    await store?.close();
  });

  const shot = async (name: string) => {
    const file = join(shots, `dashboard-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    const png = await readFile(file);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  };

  it('lists runs and compares two of them with a chart per metric over steps', async () => {
    await page.goto(dash.url);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Experiments and runs');
    const [a, b] = seeded.trainRuns.map((r) => r.runId);
    await page.locator(`#sel-${a}`).check();
    await page.locator(`#sel-${b}`).check();
    await shot('runs');
    await page.getByRole('button', { name: 'Compare selected (2)' }).click();
    expect(new URL(page.url()).hash).toBe(`#/compare?ids=${a},${b}`);
    const chart = page.getByTestId('chart-cmp-accuracy');
    await chart.waitFor({ state: 'visible' });
    // One line per run, each with a point per step.
    expect(await chart.locator('g.series').count()).toBe(2);
    expect(await chart.locator('g.series').first().locator('circle').count()).toBe(5);
    expect(await page.getByRole('figure', { name: 'loss' }).count()).toBe(1);
    await shot('compare');
  });

  it('is keyboard operable: tab to the Models link with a visible focus ring, then open a model', async () => {
    await page.goto(dash.url);
    await page.getByRole('heading', { name: 'Experiments and runs' }).waitFor();
    let focused = '';
    for (let i = 0; i < 8 && focused !== 'Models'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate<string>("document.activeElement?.textContent?.trim() ?? ''");
    }
    expect(focused).toBe('Models');
    // Evaluated in the page (a string: this file is type-checked without the DOM library).
    const outline = await page.evaluate<{ style: string; width: number }>(
      '(() => { const s = getComputedStyle(document.activeElement); return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) }; })()',
    );
    expect(outline.style).not.toBe('none');
    expect(outline.width).toBeGreaterThanOrEqual(2);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Registered models' }).waitFor();
    expect(await page.locator('a[aria-current="page"]').textContent()).toBe('Models');
    const link = page.getByRole('link', { name: seeded.model, exact: true });
    await link.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `Model ${seeded.model}` }).waitFor();
    // Focus moved to the new page's content.
    // The page moves focus after it renders: wait for it rather than read it once.
    await expect.poll(() => page.evaluate<string>('document.activeElement?.id'), { timeout: 5000 }).toBe('main');
  });

  it('promotes a version and rolls it back: the alias moves in the UI and in the registry', async () => {
    await page.goto(`${dash.url}#/models/${seeded.model}`);
    const cell = page.getByTestId('alias-production');
    await expect.poll(() => cell.textContent()).toBe('v1');
    const promote = page.getByRole('button', { name: 'Promote v2 to production' });
    await promote.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('action-status').textContent()).toBe('Promoted: production → v2');
    await expect.poll(() => cell.textContent()).toBe('v2');
    expect((await seeded.registry.resolve({ model: seeded.model, alias: 'production' })).version).toBe(2);
    await shot('models');

    await page.getByRole('button', { name: 'Roll back production' }).click();
    await expect
      .poll(() => page.getByTestId('action-status').textContent())
      .toBe('Rolled back: production → v1 (was v2)');
    await expect.poll(() => cell.textContent()).toBe('v1');
    expect((await seeded.registry.resolve({ model: seeded.model, alias: 'production' })).version).toBe(1);
    const audit = await page.getByTestId('audit').textContent();
    expect(audit).toContain('alias.rolled-back');
  });

  it('shows monitoring: requests, latency, accuracy and drift per column over time, with a drift alert', async () => {
    await page.getByRole('link', { name: 'Monitoring' }).click();
    await page.getByRole('heading', { name: 'Monitoring' }).waitFor();
    await expect.poll(() => page.getByTestId('total-requests').textContent()).toBe('120');
    for (const id of ['requests', 'latency', 'accuracy', 'drift']) {
      await page.getByTestId(`chart-${id}`).waitFor({ state: 'visible' });
    }
    const drift = page.getByTestId('chart-drift');
    expect(await drift.locator('g.series').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-series')))).toEqual([
      'plan',
      'tenure',
    ]);
    expect(await page.locator('.alert.warning').first().textContent()).toContain('Drift in');
    expect(await page.getByRole('table', { name: /Continuous-training decisions/ }).textContent()).toContain(
      'rejected',
    );
    await shot('monitoring');
  });

  it('fetched nothing outside its own origin', () => {
    expect(foreign).toEqual([]);
  });
});
