import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '@mlops/core';
import { createRegistry } from '@mlops/registry';
import { afterAll, describe, expect, it } from 'vitest';
import { runSecom } from '../src/run.js';

const home = mkdtempSync(join(tmpdir(), 'mlops-secom-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('SECOM example (--quick --simulate)', () => {
  it('runs the lifecycle, writes a report that says simulated and registers a version tagged simulated', async () => {
    const result = await runSecom({ quick: true, simulate: true, home, seed: 42 });
    expect(result.simulated).toBe(true);
    expect(existsSync(result.report)).toBe(true);
    const html = readFileSync(result.report, 'utf8');
    expect(html).toContain('SIMULATED features');
    expect(html).toContain('<svg');
    expect(html).toContain('precision–recall curve');
    expect(existsSync(join(home, 'reports', 'secom-drift-injected.html'))).toBe(true);
    // ONNX parity held on the test runs, and the metrics are real numbers.
    expect(result.metrics.pr_auc).toBeGreaterThan(0);
    expect(result.metrics.pr_auc).toBeLessThanOrEqual(1);

    const store = await createStore(`pglite://${join(home, 'db')}`);
    const registry = await createRegistry({ store });
    try {
      const versions = await registry.listVersions({ model: result.model, tags: { simulated: 'true' } });
      expect(versions.items.map((v) => v.version)).toContain(result.version);
      expect(versions.items[0]!.tags.features).toBe('simulated');
      expect(versions.items[0]!.flavor).toBe('mlops.onnx');
    } finally {
      await registry.close();
      await store.close();
    }
  }, 180_000);
});
