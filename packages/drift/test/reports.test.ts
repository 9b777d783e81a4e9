import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createDriftMonitor,
  createProfile,
  dataQualityReport,
  detectDrift,
  driftReportJson,
  driftReportSchema,
  parseProfile,
  renderDriftReportHtml,
  renderQualityReportHtml,
} from '@mlops/drift';
import { describe, expect, it } from 'vitest';
import { categoricalSample, normalSample, sentences } from './helpers.js';

const words = 'printer toner screen laptop vpn password email outlook teams keyboard the my is not working'.split(' ');
function rows(n: number, seed: number, shift: number) {
  const income = normalSample(n, 50_000 + shift * 10_000, 8000, seed);
  const age = normalSample(n, 40, 10, seed + 1);
  const plan = categoricalSample(n, ['basic', 'pro', 'team'], shift ? [1, 1, 4] : [3, 2, 1], seed + 2);
  const note = sentences(n, shift ? [...words.slice(4), 'invoice', 'refund', 'billing'] : words, 8, seed + 3);
  const label = categoricalSample(n, ['ok', 'churn'], [9, 1], seed + 4);
  return income.map((x, i) => ({ income: x, age: age[i], plan: plan[i], note: note[i], label: label[i] }));
}

describe('profile → stored JSON → drift → reports', () => {
  const columnMapping = { text: ['note'], target: 'label' };
  const reference = rows(1200, 1, 0);
  const profile = parseProfile(JSON.stringify(createProfile(reference, { columnMapping, sampleSize: 800 })));

  it('finds the injected shift from the stored profile alone', () => {
    const result = detectDrift(profile, rows(600, 10, 1));
    const drifted = Object.fromEntries(result.columns.map((c) => [c.column, c.drifted]));
    expect(drifted).toEqual({ income: true, age: false, plan: true, note: true, label: false });
    // the reference size (1200 > 1000) picks the large-sample tests even though the sample holds 800 values
    expect(result.columns.map((c) => c.test)).toEqual([
      'wasserstein',
      'wasserstein',
      'jensen-shannon',
      'domain-classifier',
      'jensen-shannon',
    ]);
    expect(result.dataset).toMatchObject({ drifted: true, driftedColumns: 3, columns: 4, share: 0.75 });
    expect(result.targetDrift).toBe(false);
    expect(driftReportSchema.parse(JSON.parse(driftReportJson(result)))).toEqual(result);
    const html = renderDriftReportHtml(result);
    expect(html.match(/<svg /g)).toHaveLength(5);
  });

  it('says in the report that the columns were tested on a sample of the reference rows', () => {
    const result = detectDrift(profile, rows(600, 10, 1));
    const plan = result.columns.find((c) => c.column === 'plan')!;
    expect(result.reference.rows).toBe(1200);
    expect(plan.reference.size).toBe(800); // the profile's sample (numeric columns are tested on their sketch: 1200)
    const html = renderDriftReportHtml(result);
    expect(html).toContain('reference 800 (+0 missing), a random sample of its 1200 rows');
    expect(html).toMatch(
      /of 5 columns were tested on a random sample of the reference[^<]*at most 800 values per column/,
    );
    // data passed in full is not called a sample
    const full = renderDriftReportHtml(detectDrift(reference, rows(600, 10, 1), { columnMapping }));
    expect(full).not.toContain('random sample');
  });

  it('finds no drift in fresh data from the same process', () => {
    const result = detectDrift(profile, rows(2000, 20, 0)); // large enough that chance stays well under 0.1
    expect(result.dataset.drifted).toBe(false);
    expect(result.columns.filter((c) => c.drifted)).toEqual([]);
  });

  it('renders a quality report of the same data', () => {
    const report = dataQualityReport(reference, { columnMapping });
    expect(report.target?.classes?.map((c) => c.value)).toEqual(['ok', 'churn']);
    expect(renderQualityReportHtml(report).match(/<svg /g)).toHaveLength(6); // 5 columns + class balance
  });

  it('monitors a stream against the profile and raises on the shifted part only', () => {
    const events: number[] = [];
    const monitor = createDriftMonitor({
      reference: profile,
      window: { type: 'tumbling', size: 300 },
      onDrift: (e) => events.push(e.index),
    });
    monitor.updateBatch([...rows(600, 30, 0), ...rows(600, 40, 1)]);
    expect(events).toEqual([2, 3]);
  });
});

describe('browser safety', () => {
  it('has no node: imports in the package sources', () => {
    const src = join(import.meta.dirname, '..', 'src');
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'),
    );
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(readFileSync(join(src, f), 'utf8'), f).not.toMatch(/from ['"]node:|require\(/);
  });
});
