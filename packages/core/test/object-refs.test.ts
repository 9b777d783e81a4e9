import {
  listObjectRefs,
  listReferencedDigests,
  recordObjectRef,
  recordObjectRefs,
  removeObjectRefs,
} from '@mlops/core/objects';
import { describeStores } from '@mlops/core/testing';
import { expect, it } from 'vitest';

const d = (c: string) => `sha256:${c.repeat(64)}`;

describeStores('object references', (getStore) => {
  it('records references one at a time and in batches, idempotently', async () => {
    const store = getStore();
    await recordObjectRef(store, { digest: d('a'), kind: 'run-artifact', ownerId: 'r1' });
    await recordObjectRef(store, { digest: d('a'), kind: 'run-artifact', ownerId: 'r1' });
    await recordObjectRefs(store, [
      { digest: d('a'), kind: 'dataset-version', ownerId: 'v1' },
      { digest: d('b'), kind: 'dataset-version', ownerId: 'v1' },
      { digest: d('b'), kind: 'dataset-version', ownerId: 'v1' },
    ]);
    expect(await listObjectRefs(store, d('a'))).toEqual([
      { digest: d('a'), kind: 'dataset-version', ownerId: 'v1' },
      { digest: d('a'), kind: 'run-artifact', ownerId: 'r1' },
    ]);
    expect([...(await listReferencedDigests(store))].sort()).toEqual([d('a'), d('b')]);
    expect(await removeObjectRefs(store, { kind: 'dataset-version', ownerId: 'v1' })).toBe(2);
    expect([...(await listReferencedDigests(store))]).toEqual([d('a')]);
  });

  it('writes references inside the caller transaction, so a rollback drops them too', async () => {
    const store = getStore();
    await expect(
      store.transaction(async (tx) => {
        await recordObjectRefs(tx, [{ digest: d('c'), kind: 'model-package', ownerId: 'm1' }]);
        await recordObjectRef(tx, { digest: d('e'), kind: 'model-package', ownerId: 'm1' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await listObjectRefs(store, d('c'))).toEqual([]);
    expect(await listObjectRefs(store, d('e'))).toEqual([]);
  });
});
