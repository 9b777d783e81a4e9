import { describeStores } from '@mlops/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type Registry } from '../src/index.js';
import { fakeDigest, testRegistry, uniqueName } from './registry.suite.js';

describeStores('registry (in-process)', (getStore, backend) => {
  let registry: Registry;
  beforeAll(async () => {
    registry = await createRegistry({ store: getStore() });
  });
  afterAll(async () => {
    await registry?.close();
  });

  testRegistry(() => registry, { remote: false });

  describe('storage', () => {
    it('keeps the audit log append-only in the database too', async () => {
      const name = uniqueName();
      await registry.createModel({ name });
      const store = getStore();
      await expect(
        store.query("UPDATE registry_audit SET principal = 'mallory' WHERE model = $1", [name]),
      ).rejects.toThrow(/append-only/);
      await expect(store.query('DELETE FROM registry_audit WHERE model = $1', [name])).rejects.toThrow(/append-only/);
      await expect(store.exec('TRUNCATE registry_audit')).rejects.toThrow(/append-only/);
      const log = await registry.listAudit({ model: name });
      expect(log.items.map((e) => [e.action, e.principal])).toEqual([
        ['model.created', expect.not.stringMatching(/mallory/)],
      ]);
    });

    it('records the package digest as an object reference and drops it with the version', async () => {
      const { listObjectRefs } = await import('@mlops/core/objects');
      const name = uniqueName();
      await registry.createModel({ name });
      const digest = fakeDigest(`${name}-pkg`);
      await registry.createVersion({ model: name, packageDigest: digest, flavor: 'f' });
      expect(await listObjectRefs(getStore(), digest)).toEqual([
        { digest, kind: 'model-version', ownerId: `${name}/1` },
      ]);
      await registry.deleteVersion({ model: name, version: 1 });
      expect(await listObjectRefs(getStore(), digest)).toEqual([]);
    });

    it('checks that the package is in the object store when one is given', async () => {
      const present = fakeDigest('present');
      const checked = await createRegistry({
        store: getStore(),
        objects: { has: async (d: string) => d === present },
        principal: 'ci',
      });
      try {
        const name = uniqueName();
        await checked.createModel({ name });
        const v = await checked.createVersion({ model: name, packageDigest: present, flavor: 'f' });
        expect(v.createdBy).toBe('ci');
        await expect(
          checked.createVersion({ model: name, packageDigest: fakeDigest('absent'), flavor: 'f' }),
        ).rejects.toMatchObject({ code: 'NOT_FOUND', details: [{ path: 'packageDigest' }] });
      } finally {
        await checked.close();
      }
    });

    it('refuses profiles over the size limit with the field path', async () => {
      const small = await createRegistry({ store: getStore(), maxProfileBytes: 1000 });
      try {
        const name = uniqueName();
        await small.createModel({ name });
        await expect(
          small.createVersion({
            model: name,
            packageDigest: fakeDigest('p'),
            flavor: 'f',
            profile: { kind: 'k', schemaVersion: 1, sample: 'x'.repeat(2000) },
          }),
        ).rejects.toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'profile' }] });
      } finally {
        await small.close();
      }
    });

    it(`numbers concurrent version creations without gaps or duplicates [${backend.name}]`, async () => {
      const name = uniqueName();
      await registry.createModel({ name });
      const created = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          registry.createVersion({ model: name, packageDigest: fakeDigest(`${name}/${i}`), flavor: 'f' }),
        ),
      );
      expect(created.map((v) => v.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });
  });
});
