import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '@mlops/core';
import { readLabelledWindow } from '@mlops/core/predictions';
import { createRegistry } from '@mlops/registry';
import { afterAll, describe, expect, it } from 'vitest';
import { runSecom } from '../src/run.js';

const home = mkdtempSync(join(tmpdir(), 'mlops-secom-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('SECOM example (--quick --simulate)', () => {
  it('runs the lifecycle, writes a report that says simulated and registers a version tagged simulated', async () => {
    // A few trees: the test checks the lifecycle (served, monitored, retrained, rolled back), not the accuracy.
    const result = await runSecom({ quick: true, simulate: true, home, seed: 42, trees: 20 });
    expect(result.simulated).toBe(true);
    expect(existsSync(result.report)).toBe(true);
    const html = readFileSync(result.report, 'utf8');
    expect(html).toContain('SIMULATED features');
    expect(html).toContain('<svg');
    expect(html).toContain('precision–recall curve');
    expect(html).toContain('metrics over time');
    expect(html).toContain('Continuous training');
    expect(html).not.toMatch(/<script|https?:\/\/cdn/);
    expect(existsSync(join(home, 'reports', 'secom-drift-injected.html'))).toBe(true);
    // Performance before labels arrive: a calibrator fitted on the validation runs, and the estimate beside the
    // realized accuracy of the clean and the injected windows, in the result and the report.
    expect(html).toContain('Performance before labels arrive');
    expect(['none', 'isotonic', 'temperature']).toContain(result.calibration.method);
    expect(result.estimates.map((e) => e.stream)).toEqual([
      'replayed test runs, clean windows',
      'replayed test runs, sensor drift injected',
    ]);
    for (const e of result.estimates) {
      expect(e.estimated).toBeGreaterThanOrEqual(e.lower);
      expect(e.estimated).toBeLessThanOrEqual(e.upper);
      expect(e.realized).toBeGreaterThan(0);
      expect(html).toContain(e.estimated.toFixed(3));
    }
    for (const w of result.windows) expect(w.estimatedAccuracy).toBeGreaterThan(0);
    // ONNX parity held on the test runs, and the metrics are real numbers.
    expect(result.metrics.pr_auc).toBeGreaterThan(0);
    expect(result.metrics.pr_auc).toBeLessThanOrEqual(1);

    // Served over HTTP: every test run replayed in six windows, each with feedback found in the prediction log.
    expect(result.windows).toHaveLength(6);
    expect(result.windows.map((w) => w.injected)).toEqual([false, false, false, true, true, true]);
    for (const w of result.windows) expect(w.labelled).toBe(w.runs);
    const replayedRuns = result.windows.reduce((a, w) => a + w.runs, 0);
    // Continuous training looked twice: the injected sensors are what it found drifted the second time.
    expect(result.checks.map((c) => c.afterWindow)).toEqual([3, 6]);
    const last = result.checks[1]!;
    expect(last.driftedSensors).toEqual(expect.arrayContaining([result.injected.shifted, result.injected.stuck]));
    expect(['promoted', 'rejected']).toContain(last.status);
    expect(result.retrain?.status).toBe(last.status);
    expect(result.alerts).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`Sensor drift on ${result.injected.shifted}`),
        expect.stringContaining(`Sensor drift on ${result.injected.stuck}`),
      ]),
    );
    if (last.status === 'promoted') expect(result.retrain?.rolledBackTo).toBe(result.version);

    const store = await createStore(`pglite://${join(home, 'db')}`);
    const registry = await createRegistry({ store });
    try {
      const labelled = await readLabelledWindow({ store, model: result.model, limit: 10_000 });
      expect(labelled.length).toBeGreaterThanOrEqual(replayedRuns);
      // After the rollback (or the refusal) production is the version this run registered first.
      const prod = await registry.resolve({ model: result.model, alias: 'production' });
      expect(prod.version).toBe(result.version);
      const versions = await registry.listVersions({ model: result.model, tags: { simulated: 'true' } });
      expect(versions.items.map((v) => v.version)).toContain(result.version);
      if (result.retrain) expect(versions.items.map((v) => v.version)).toContain(result.retrain.version);
      expect(versions.items[0]!.tags.features).toBe('simulated');
      expect(versions.items[0]!.flavor).toBe('mlops.onnx');

      // Tuned through a study (createStudy): its trials are child runs of the study's run, itself a child of the
      // example's run (the registered version's source run), and the study's best trial is the one registered.
      const trials = await store.query<{
        study: string;
        number: number;
        status: string;
        value: number;
        run_id: string;
      }>(
        "SELECT study, number, status, value, run_id FROM pipelines_trials WHERE study LIKE 'secom-%' ORDER BY number",
      );
      expect(trials.map((t) => t.status)).toEqual(['complete', 'complete', 'complete']);
      const parentOf = async (id: string) =>
        (
          await store.query<{ parent_run_id: string | null }>('SELECT parent_run_id FROM core_runs WHERE id = $1', [id])
        )[0]!.parent_run_id;
      const studyRuns = new Set(await Promise.all(trials.map((t) => parentOf(t.run_id))));
      expect(studyRuns.size).toBe(1);
      const [studyRun] = [...studyRuns];
      const exampleRun = await parentOf(studyRun!);
      const registered = versions.items.find((v) => v.version === result.version)!;
      expect(exampleRun).toBe(registered.sourceRunId);
      const best = trials.reduce((a, b) => (Number(b.value) > Number(a.value) ? b : a));
      expect(result.bestTrial).toBe(`trial ${best.number}`);
    } finally {
      await registry.close();
      await store.close();
    }
  }, 400_000);
});
