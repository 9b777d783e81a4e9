import type { Store } from '@mlops/core';
import { describeStores } from '@mlops/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRegistry, type Registry } from '../src/index.js';
import { fakeDigest, rejection, uniqueName } from './registry.suite.js';

/** Wraps a store so that, once armed, the first statement matching `pattern` fails (inside or outside transactions). */
function faultyStore(inner: Store) {
  let armed: RegExp | undefined;
  const wrap = (s: Store): Store => ({
    ...s,
    driver: s.driver,
    url: s.url,
    async query(sql, params) {
      if (armed?.test(sql)) {
        armed = undefined;
        throw new Error('injected fault: connection lost');
      }
      return s.query(sql, params);
    },
    transaction: (fn) => s.transaction((tx) => fn(wrap(tx))),
    migrate: (ns, m) => s.migrate(ns, m),
    close: () => s.close(),
  });
  return { store: wrap(inner), failNext: (pattern: RegExp) => (armed = pattern) };
}

describeStores('registry faults', (getStore) => {
  let registry: Registry;
  let faults: ReturnType<typeof faultyStore>;
  beforeAll(async () => {
    faults = faultyStore(getStore());
    registry = await createRegistry({ store: faults.store });
  });
  afterAll(async () => {
    await registry?.close();
  });

  for (const [step, pattern] of [
    ['after the decision is written', /INSERT INTO registry_aliases/],
    ['after the alias row is written', /INSERT INTO registry_alias_history/],
    ['while writing the audit entry', /INSERT INTO registry_audit/],
  ] as const) {
    it(`a promotion that fails half-way (${step}) leaves the alias, history, decisions and audit unchanged`, async () => {
      const name = uniqueName();
      await registry.createModel({ name });
      for (const i of [1, 2]) {
        await registry.createVersion({
          model: name,
          packageDigest: fakeDigest(`${name}${i}`),
          flavor: 'f',
          metrics: { f1: i },
        });
      }
      await registry.promote({ model: name, version: 1, alias: 'production' });
      const before = {
        history: await registry.aliasHistory({ model: name }),
        decisions: await registry.listDecisions({ model: name }),
        audit: await registry.listAudit({ model: name }),
      };
      const events: unknown[] = [];
      const stop = await registry.subscribe((e) => events.push(e), { model: name });
      faults.failNext(pattern);
      await expect(
        registry.promote({ model: name, version: 2, alias: 'production', gate: { metric: 'f1', op: 'gte', value: 1 } }),
      ).rejects.toThrow(/injected fault/);
      await stop();
      expect((await registry.resolve({ model: name, alias: 'production' })).version).toBe(1);
      expect(await registry.aliasHistory({ model: name })).toEqual(before.history);
      expect(await registry.listDecisions({ model: name })).toEqual(before.decisions);
      expect(await registry.listAudit({ model: name })).toEqual(before.audit);
      expect(events).toEqual([]);
      // And the registry works again afterwards.
      const ok = await registry.promote({ model: name, version: 2, alias: 'production' });
      expect(ok.alias.version).toBe(2);
      expect((await registry.rollback({ model: name, alias: 'production' })).alias.version).toBe(1);
    });
  }

  it('a rollback that fails half-way keeps the alias and its rollback stack', async () => {
    const name = uniqueName();
    await registry.createModel({ name });
    for (const i of [1, 2]) {
      await registry.createVersion({ model: name, packageDigest: fakeDigest(`${name}${i}`), flavor: 'f' });
      await registry.setAlias({ model: name, alias: 'production', version: i });
    }
    faults.failNext(/INSERT INTO registry_audit/);
    await expect(registry.rollback({ model: name, alias: 'production' })).rejects.toThrow(/injected fault/);
    expect((await registry.resolve({ model: name, alias: 'production' })).version).toBe(2);
    expect((await registry.rollback({ model: name, alias: 'production' })).alias.version).toBe(1);
    expect((await rejection(registry.rollback({ model: name, alias: 'production' }))).code).toBe('CONFLICT');
  });
});
