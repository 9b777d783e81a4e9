// Issue 19, fault 5 (registry, in-process): the registry's own schemas refuse strings PostgreSQL text/jsonb cannot
// hold (U+0000, lone surrogates) with INVALID_INPUT and the field path, as the HTTP router does: an in-process
// `createModel({ description: '\0' })` must not reach the store and fail there with a store error.
import type { MlopsError, Store } from '@mlops/core';
import { describeStores } from '@mlops/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRegistry, type Registry } from '../../src/index.js';
import { fakeDigest, rejection, uniqueName } from '../registry.suite.js';

describeStores('registry in-process: strings the store cannot hold', (getStore) => {
  let store: Store;
  let registry: Registry;
  let name: string;
  beforeAll(async () => {
    store = getStore();
    registry = await createRegistry({ store, events: false });
    name = uniqueName();
    await registry.createModel({ name, tags: { team: 'ml' } });
    for (const i of [1, 2]) {
      await registry.createVersion({
        model: name,
        packageDigest: fakeDigest(`${name}${i}`),
        flavor: 'f',
        metrics: { accuracy: 0.8 + i / 100 },
      });
    }
    await registry.promote({ model: name, version: 1, alias: 'production' });
  });
  afterAll(async () => {
    await registry?.close();
  });

  /** Expects INVALID_INPUT naming `path` (never a store error). */
  async function refused(call: Promise<unknown>, path: string): Promise<MlopsError> {
    const err = await rejection(call);
    expect(err.code, err.message).toBe('INVALID_INPUT');
    expect((err.details as { path: string }[] | undefined)?.map((d) => d.path)).toContain(path);
    return err;
  }

  for (const [what, s] of [
    ['U+0000', 'a\u0000b'],
    ['a lone surrogate', 'x\ud800'],
  ] as const) {
    it(`${what} in a model's description, tags, tag names or reason is INVALID_INPUT with its path`, async () => {
      const other = uniqueName();
      await refused(registry.createModel({ name: other, description: s }), 'description');
      await refused(registry.createModel({ name: other, tags: { team: s } }), 'tags.team');
      await refused(
        registry.createModel({ name: other, tags: { [`t${s}`]: 'x' } }),
        `tags[${JSON.stringify(`t${s}`)}]`,
      );
      await refused(registry.createModel({ name: other, reason: s }), 'reason');
      await refused(registry.createModel({ name: other, principal: s }), 'principal');
      await refused(registry.updateModel({ name, description: s }), 'description');
      await refused(registry.updateModel({ name, deleteTags: [s] }), 'deleteTags[0]');
      await expect(registry.getModel(other)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await registry.getModel(name)).description).toBe('');
    });

    it(`${what} in a version's fields is INVALID_INPUT with its path`, async () => {
      const v = { model: name, packageDigest: fakeDigest(`${name}-x`) };
      await refused(registry.createVersion({ ...v, flavor: s }), 'flavor');
      await refused(registry.createVersion({ ...v, flavor: 'f', description: s }), 'description');
      await refused(registry.createVersion({ ...v, flavor: 'f', sourceRunId: s }), 'sourceRunId');
      await refused(
        registry.createVersion({ ...v, flavor: 'f', metrics: { [`m${s}`]: 1 } }),
        `metrics[${JSON.stringify(`m${s}`)}]`,
      );
      await refused(
        registry.createVersion({ ...v, flavor: 'f', datasetVersions: [{ name: s, digest: 'sha256:1' }] }),
        'datasetVersions[0].name',
      );
      // Extra keys of a dataset reference and the opaque body of a profile are stored as jsonb too.
      await refused(
        registry.createVersion({ ...v, flavor: 'f', datasetVersions: [{ name: 'd', note: s }] as never }),
        'datasetVersions[0].note',
      );
      await refused(
        registry.createVersion({ ...v, flavor: 'f', profile: { kind: 'p', schemaVersion: 1, columns: [s] } }),
        'profile.columns[0]',
      );
      await refused(
        registry.createVersion({
          ...v,
          flavor: 'f',
          signature: { inputs: [{ name: `age${s}`, type: 'float64', shape: [] }], outputs: [] },
        }),
        'signature.inputs[0].name',
      );
      await refused(registry.updateVersion({ model: name, version: 1, tags: { team: s } }), 'tags.team');
      expect((await registry.listVersions({ model: name })).items).toHaveLength(2);
    });

    it(`${what} in a reason, principal, filter or promotion comparison is INVALID_INPUT with its path`, async () => {
      const before = await registry.resolve({ model: name, alias: 'production' });
      await refused(registry.rollback({ model: name, alias: 'production', reason: s }), 'reason');
      await refused(registry.promote({ model: name, alias: 'production', version: 2, reason: s }), 'reason');
      await refused(
        registry.promote({
          model: name,
          alias: 'production',
          version: 2,
          gate: { metric: `accuracy${s}`, op: 'gte', value: 0 },
        }),
        'gate.metric',
      );
      await refused(
        registry.promote({
          model: name,
          alias: 'production',
          version: 2,
          comparison: {
            data: { name: s, rows: 10 },
            candidate: { version: 2, metrics: { accuracy: 0.9 } },
            incumbent: { version: 1, metrics: { accuracy: 0.8 } },
          },
        }),
        'comparison.data.name',
      );
      await refused(registry.setAlias({ model: name, alias: 'staging', version: 2, principal: s }), 'principal');
      await refused(registry.listModels({ query: s }), 'query');
      await refused(registry.listModels({ tags: { team: s } }), 'tags.team');
      await refused(registry.listVersions({ model: name, flavor: s }), 'flavor');
      await refused(registry.listAudit({ model: name, principal: s }), 'principal');
      await refused(registry.listAudit({ model: name, action: s }), 'action');
      expect((await registry.resolve({ model: name, alias: 'production' })).version).toBe(before.version);
    });
  }

  it('still stores text PostgreSQL can hold (emoji, CJK, a surrogate pair)', async () => {
    const text = 'déjà vu 😀 日本語';
    const other = uniqueName();
    await registry.createModel({ name: other, description: text, tags: { [text]: text }, reason: text });
    expect(await registry.getModel(other)).toMatchObject({ description: text, tags: { [text]: text } });
  });
});
