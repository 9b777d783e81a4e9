import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsObjectStore } from '@mlops/core';
import { listDatasetLineage, versionDataset } from '@mlops/core/dataset-versions';
import { describeStores } from '@mlops/core/testing';
import { createTracker } from '@mlops/core/tracking';
import { afterAll, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'mlops-lineage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStores('dataset lineage through tracking', (getStore, backend) => {
  it('links a run that logs a versioned dataset, and keeps external ids on the run only', async () => {
    const store = getStore();
    const objects = fsObjectStore({ dir: join(dir, backend.name, 'objects') });
    writeFileSync(join(dir, `${backend.name}.csv`), 'a,b\n1,x\n2,y\n');
    const v = await versionDataset({ path: join(dir, `${backend.name}.csv`), name: 'tickets', store, objects });
    const tracker = createTracker({ store, objects });
    const run = await tracker.startRun({ experiment: 'lineage' });
    await run.logDatasetVersion({ name: 'tickets', version: v.version, role: 'train' });
    await run.logDatasetVersion({ name: 'external', version: 'not-versioned-here', role: 'eval' });
    await run.end();

    const lineage = await listDatasetLineage(store, { runId: run.id });
    expect(lineage.map((u) => [u.name, u.version, u.role])).toEqual([['tickets', v.version, 'train']]);
    const details = await tracker.getRun(run.id);
    expect(details.datasets.map((d) => d.name).sort()).toEqual(['external', 'tickets']);
  });
});
