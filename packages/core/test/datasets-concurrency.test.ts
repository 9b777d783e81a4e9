import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createStore, fsObjectStore, type Store } from '@mlops/core';
import { listDatasetVersions, readPointer, versionDataset } from '@mlops/core/dataset-versions';
import { listObjectRefs } from '@mlops/core/objects';
import { testPostgresUrl } from '@mlops/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Skipped with a printed reason without MLOPS_TEST_POSTGRES_URL; an error under MLOPS_TEST_REQUIRE_POSTGRES=1 (CI).
const url = testPostgresUrl('concurrent dataset versioning on PostgreSQL');
const CHILD = join(import.meta.dirname, 'fixtures/datasets-version.ts');

describe.skipIf(!url)('two processes versioning the same dataset at once [postgres]', () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const storeUrl = `${url}${url?.includes('?') ? '&' : '?'}schema=${schema}`;
  const root = mkdtempSync(join(tmpdir(), 'mlops-race-'));
  let store: Store;
  beforeAll(async () => {
    store = await createStore(storeUrl);
  });
  afterAll(async () => {
    await store?.close();
    const admin = await createStore(url as string);
    await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.close();
    rmSync(root, { recursive: true, force: true });
  });

  function startChild(path: string, objectsDir: string, name: string) {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, storeUrl, path, objectsDir, name], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => {
      const r = await lines.next();
      if (r.done) throw new Error('child exited early');
      return r.value;
    };
    return { child, next };
  }

  it('both succeed with the same version and exactly one row', async () => {
    for (let round = 0; round < 3; round++) {
      const data = join(root, `round-${round}.csv`);
      writeFileSync(data, `id,value\n${Array.from({ length: 20_000 }, (_, i) => `${i},${i * round}`).join('\n')}\n`);
      const objectsDir = join(root, 'objects');
      const a = startChild(data, objectsDir, 'race');
      const b = startChild(data, objectsDir, 'race');
      expect(await a.next()).toBe('ready');
      expect(await b.next()).toBe('ready');
      a.child.stdin.write('go\n');
      b.child.stdin.write('go\n');
      const [ra, rb] = (await Promise.all([a.next(), b.next()])).map((l) => JSON.parse(l));
      expect(ra).toMatchObject({ ok: true });
      expect(rb).toMatchObject({ ok: true });
      expect(ra.version).toBe(rb.version);
      // Exactly one of them created the row.
      expect([ra.created, rb.created].sort()).toEqual([false, true]);
      const rows = await store.query<{ n: string }>(
        'SELECT count(*) AS n FROM core_dataset_versions WHERE name = $1 AND version = $2',
        ['race', ra.version],
      );
      expect(Number(rows[0]?.n)).toBe(1);
      expect(await listObjectRefs(store, `sha256:${ra.version}`)).toHaveLength(1);
      const objects = fsObjectStore({ dir: objectsDir });
      expect(await objects.has(`sha256:${ra.version}`)).toBe(true);
      expect(await readPointer(join(root, 'race.mlops.json'))).toMatchObject({
        version: ra.version,
        path: `round-${round}.csv`,
      });
      for (const c of [a.child, b.child]) c.stdin.end();
    }
    expect(await listDatasetVersions(store, 'race')).toHaveLength(3);
  }, 120_000);

  it('two stores in one process racing on the same content also leave one row', async () => {
    const other = await createStore(storeUrl);
    try {
      const data = join(root, 'two-stores.bin');
      writeFileSync(data, randomBytes(1 << 20));
      const objects = fsObjectStore({ dir: join(root, 'objects-2') });
      const results = await Promise.all(
        [store, other, store, other].map((s) =>
          versionDataset({ path: data, name: 'race-2', store: s, objects, progress: false }),
        ),
      );
      expect(new Set(results.map((r) => r.version)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(await listDatasetVersions(store, 'race-2')).toHaveLength(1);
      expect(readFileSync(join(root, 'race-2.mlops.json'), 'utf8')).toContain(results[0]?.version);
    } finally {
      await other.close();
    }
  });
});
