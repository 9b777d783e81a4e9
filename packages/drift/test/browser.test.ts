// The browser claim, tested: @mlops/drift bundled by esbuild for the browser (a `node:` import, or any Node-only
// dependency, fails the build), loaded into Debian's chromium through playwright-core (never a browser download),
// where it profiles data in batches, merges two profiles, detects drift against the merged profile and renders the
// HTML report. The page's report must equal the one Node computes from the same data.
//
// Needs /usr/bin/chromium (`apt-get install -y chromium`; MLOPS_CHROMIUM overrides the path). Without it the test
// FAILS, unless MLOPS_SKIP_BROWSER=1.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as drift from '../src/index.js';

const CHROMIUM = process.env.MLOPS_CHROMIUM ?? '/usr/bin/chromium';
const SKIP = process.env.MLOPS_SKIP_BROWSER === '1';

// Runs in the page and in Node alike (a string, so both run the very same code): builds seeded data, profiles the
// reference in three batches and as two partitions merged, and returns the drift report and its HTML.
const SCENARIO = `(drift) => {
  let s = 12345;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
  const normal = (shift) => { let t = 0; for (let j = 0; j < 12; j++) t += next(); return t - 6 + shift; };
  const make = (n, shift) => ({
    age: Array.from({ length: n }, () => Math.round(40 + 12 * normal(shift))),
    income: Float64Array.from({ length: n }, () => { const t = normal(shift) + 5; return 1000 * t * t * t; }),
    plan: Array.from({ length: n }, () => (next() < 0.3 + shift ? 'pro' : 'basic')),
  });
  const reference = make(30000, 0);
  const slice = (from, to) => Object.fromEntries(Object.entries(reference).map(([k, v]) => [k, v.slice(from, to)]));
  const builder = drift.createProfileBuilder({ sampleSize: 2000 });
  for (const [from, to] of [[0, 10000], [10000, 20000], [20000, 30000]]) builder.add(slice(from, to));
  const batched = builder.finish();
  const merged = drift.mergeProfiles(
    drift.createProfile(slice(0, 12000), { sampleSize: 2000 }),
    drift.createProfile(slice(12000, 30000), { sampleSize: 2000 }),
  );
  const current = make(5000, 0.4);
  const report = drift.detectDrift(merged, current, { createdAt: '2026-12-06T00:00:00.000Z' });
  const batchedReport = drift.detectDrift(batched, current, { createdAt: '2026-12-06T00:00:00.000Z' });
  return { report, batchedReport, merged: JSON.stringify(merged), html: drift.renderDriftReportHtml(report) };
}`;

/** Deep equality in which numbers may differ by 1e-12 relative (strings, counts and structure exactly). */
function expectClose(actual: unknown, expected: unknown, path = '$'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const tolerance = 1e-12 * Math.max(Math.abs(expected), Number.MIN_VALUE);
    if (!(actual === expected || Math.abs(actual - expected) <= tolerance)) expect(actual, path).toBe(expected);
    return;
  }
  if (typeof expected !== 'object' || expected === null) {
    expect(actual, path).toEqual(expected);
    return;
  }
  expect(typeof actual, path).toBe('object');
  expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
  for (const [k, v] of Object.entries(expected)) expectClose((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
}

interface Outcome {
  report: drift.DriftReport;
  batchedReport: drift.DriftReport;
  merged: string;
  html: string;
}

describe.skipIf(SKIP)('@mlops/drift in chromium', () => {
  let browser: Browser;
  let page: Page;
  let bundle: string;
  const foreign: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium), set MLOPS_CHROMIUM to its path, ` +
          'or set MLOPS_SKIP_BROWSER=1 to skip the browser tests.',
      );
    }
    const out = await build({
      entryPoints: [join(import.meta.dirname, '../src/index.ts')],
      bundle: true,
      format: 'iife',
      globalName: 'mlopsDrift',
      platform: 'browser',
      target: 'es2022',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    bundle = out.outputFiles[0]!.text;
    // nothing Node-only made it in (esbuild would have failed on node: built-ins; this also catches polyfills)
    expect(
      Object.keys(out.metafile.inputs).filter((f) => /(^|\/)node:|node_modules\/(hyparquet|apache-arrow)/.test(f)),
    ).toEqual([]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-background-networking'],
      timeout: 30_000,
    });
    page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(60_000);
    await page.route('**/*', (route) => {
      foreign.push(route.request().url());
      return route.abort();
    });
    await page.setContent('<!doctype html><title>drift</title>');
    await page.addScriptTag({ content: bundle });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('profiles, merges, detects drift and renders the report in the page, as Node does', async () => {
    const inPage = await page.evaluate<Outcome>(`(${SCENARIO})(window.mlopsDrift)`);
    const inNode = (new Function(`return ${SCENARIO}`)() as (d: typeof drift) => Outcome)(drift);
    // The data are built with + and × only, so both engines see the same numbers; the statistics may still use
    // Math.log/exp, whose last bit can differ between V8 releases: numbers agree to 1e-12 relative.
    expectClose(JSON.parse(inPage.merged), JSON.parse(inNode.merged));
    expectClose(inPage.report, inNode.report);
    expectClose(inPage.batchedReport, inNode.batchedReport);
    // the drift is there: age and income shifted by 0.4 σ, plan from 30 % to 70 % pro
    expect(inPage.report.dataset.status).toBe('drifted');
    expect(inPage.report.columns.map((c) => [c.column, c.test, c.drifted])).toEqual([
      ['age', 'wasserstein', true],
      ['income', 'wasserstein', true],
      ['plan', 'jensen-shannon', true],
    ]);
    // the sketches stood in for the 30,000 reference rows (the samples hold 2,000)
    expect(inPage.report.columns[0]!.reference.size).toBe(30_000);
  }, 120_000);

  it('shows the rendered report: verdict, one chart per column, no request made', async () => {
    const { html } = await page.evaluate<Outcome>(`(${SCENARIO})(window.mlopsDrift)`);
    await page.setContent(html);
    expect(await page.locator('h1').textContent()).toBe('Data drift report');
    expect(await page.locator('.card b.bad').first().textContent()).toBe('detected');
    expect(await page.locator('svg').count()).toBeGreaterThanOrEqual(3);
    expect(foreign).toEqual([]);
  }, 120_000);
});
