import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsObjectStore } from '@mlops/core';
import { collectGarbage, recordObjectRef, removeObjectRefs } from '@mlops/core/objects';
import { describeStores } from '@mlops/core/testing';
import { afterAll, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'mlops-gc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out.sort();
};

describeStores('collectGarbage', (getStore) => {
  it('deletes only unreferenced blobs older than the grace period, and old temp files', async () => {
    const store = getStore();
    const objects = fsObjectStore({ dir: join(root, `objects-${n++}`) });
    const used = await objects.put('referenced by a dataset version');
    const old = await objects.put('old and unreferenced');
    const young = await objects.put('young and unreferenced');
    await recordObjectRef(store, { digest: used.digest, kind: 'test', ownerId: 'row-1' });
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(objects.pathOf(old.digest), twoHoursAgo, twoHoursAgo);
    utimesSync(objects.pathOf(used.digest), twoHoursAgo, twoHoursAgo);
    writeFileSync(join(objects.dir, 'tmp', 'dead-writer.partial'), 'half');
    utimesSync(join(objects.dir, 'tmp', 'dead-writer.partial'), twoHoursAgo, twoHoursAgo);

    const dry = await collectGarbage({ store, objects, graceMs: 3600_000, dryRun: true });
    expect(dry).toEqual({
      dryRun: true,
      deleted: [{ digest: old.digest, size: old.size }],
      kept: { referenced: 1, young: 1 },
      bytesFreed: old.size + 4,
      tempFiles: ['dead-writer.partial'],
    });
    expect(await collect(objects.list())).toEqual([used.digest, old.digest, young.digest].sort());

    const res = await collectGarbage({ store, objects, graceMs: 3600_000 });
    expect(res.deleted).toEqual([{ digest: old.digest, size: old.size }]);
    expect(res.bytesFreed).toBe(old.size + 4);
    expect(await collect(objects.list())).toEqual([used.digest, young.digest].sort());
    expect(await objects.has(old.digest)).toBe(false);

    // Once the owner drops its reference, the blob goes too.
    await removeObjectRefs(store, { kind: 'test', ownerId: 'row-1' });
    const after = await collectGarbage({ store, objects, graceMs: 3600_000 });
    expect(after.deleted.map((d) => d.digest)).toEqual([used.digest]);
    expect(await collect(objects.list())).toEqual([young.digest]);
  });

  it('with a grace period of 0 deletes every unreferenced blob', async () => {
    const store = getStore();
    const objects = fsObjectStore({ dir: join(root, `objects-${n++}`) });
    const a = await objects.put('a');
    const b = await objects.put('b');
    await recordObjectRef(store, { digest: b.digest, kind: 'test', ownerId: 'row-2' });
    const res = await collectGarbage({ store, objects, graceMs: 0, now: () => Date.now() + 1000 });
    expect(res.deleted.map((d) => d.digest)).toEqual([a.digest]);
    expect(await collect(objects.list())).toEqual([b.digest]);
  });
});
