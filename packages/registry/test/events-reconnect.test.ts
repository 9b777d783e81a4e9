import { randomBytes } from 'node:crypto';
import { createStore, type ListenStatus, type Store } from '@mlops/core';
import { postgresStore } from '@mlops/core/store/postgres';
import { testPostgresUrl } from '@mlops/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type Registry, type RegistryEvent, type RegistryOptions } from '../src/index.js';
import { fakeDigest, uniqueName } from './registry.suite.js';

// Change events across processes must survive a lost LISTEN connection (a PostgreSQL restart, a failover). The shared
// test server cannot be restarted from a test, so the subscriber's LISTEN backend is terminated from another
// connection instead — what a restart does to each client — and found by the application_name of its store.
// Skipped with a printed reason without MLOPS_TEST_POSTGRES_URL; an error under MLOPS_TEST_REQUIRE_POSTGRES=1 (CI).
const postgresUrl = testPostgresUrl('registry events surviving a lost LISTEN connection');

describe.skipIf(!postgresUrl)('registry events after a lost LISTEN connection [postgres]', () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  let admin: Store;
  let storeA: Store;
  let a: Registry;
  /** Writes through a registry without NOTIFY: other processes learn of them only from the audit log. */
  let silent: Registry;
  const opened: { registry: Registry; store: Store }[] = [];

  beforeAll(async () => {
    admin = await createStore(postgresUrl!);
    storeA = await createStore(`${postgresUrl}${postgresUrl!.includes('?') ? '&' : '?'}schema=${schema}`);
    a = await createRegistry({ store: storeA, principal: 'proc-a' });
    silent = await createRegistry({ store: storeA, principal: 'proc-silent', events: false });
  });
  afterAll(async () => {
    for (const { registry, store } of opened) {
      await registry.close();
      await store.close();
    }
    await a?.close();
    await silent?.close();
    await storeA?.close();
    try {
      await admin?.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await admin?.close();
    }
  });

  /** Another "process": its own store (named, so its LISTEN backend can be found) and registry, subscribed to `model`. */
  async function subscriber(model: string, options: Partial<RegistryOptions> & { backoffMs?: number } = {}) {
    const app = `t_ev_${randomBytes(4).toString('hex')}`;
    const statuses: ListenStatus[] = [];
    const events: RegistryEvent[] = [];
    const { backoffMs = 50, ...registryOptions } = options;
    const store = await postgresStore({
      connectionString: `${postgresUrl}${postgresUrl!.includes('?') ? '&' : '?'}application_name=${app}`,
      schema,
      listenBackoff: { initialMs: backoffMs, maxMs: backoffMs },
      onListenStatus: (s) => statuses.push(s),
    });
    const registry = await createRegistry({ store, principal: 'proc-b', ...registryOptions });
    opened.push({ registry, store });
    await registry.subscribe((e) => events.push(e), { model });
    const kill = async () => {
      const rows = await admin.query<{ ok: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = $1 AND query LIKE 'LISTEN%'`,
        [app],
      );
      return rows.filter((r) => r.ok).length;
    };
    return { events, statuses, kill };
  }

  async function model(versions = 2) {
    const name = uniqueName('ev');
    await a.createModel({ name });
    for (let i = 0; i < versions; i++) {
      await a.createVersion({
        model: name,
        packageDigest: fakeDigest(`${name}/${i}`),
        flavor: 'f',
        metrics: { f1: i },
      });
    }
    return name;
  }

  const moves = (events: RegistryEvent[]) =>
    events.filter((e) => e.alias === 'production').map((e) => [e.action, e.version, e.principal]);

  it('re-subscribes after its LISTEN connection is killed and follows the next promotion', async () => {
    const name = await model();
    const b = await subscriber(name, { eventPollIntervalMs: 0 });
    await expect.poll(b.kill, { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => b.statuses.map((s) => s.state).includes('restored'), { timeout: 30_000 }).toBe(true);
    await a.promote({ model: name, version: 1, alias: 'production' });
    await expect.poll(() => moves(b.events), { timeout: 30_000 }).toEqual([['alias.promoted', 1, 'proc-a']]);
  }, 90_000);

  it('catches up an alias move published while its LISTEN connection was down', async () => {
    const name = await model();
    // A long backoff keeps the connection down while the promotion is published (its NOTIFY is lost).
    const b = await subscriber(name, { eventPollIntervalMs: 0, backoffMs: 3000 });
    await expect.poll(b.kill, { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => b.statuses.length, { timeout: 20_000 }).toBeGreaterThan(0);
    await a.setAlias({ model: name, alias: 'production', version: 1, reason: 'while down' });
    await a.promote({ model: name, version: 2, alias: 'production' });
    await expect
      .poll(() => moves(b.events), { timeout: 30_000 })
      .toEqual([
        ['alias.set', 1, 'proc-a'],
        ['alias.promoted', 2, 'proc-a'],
      ]);
  }, 90_000);

  it('catches up a change whose notification never came, once the connection is restored', async () => {
    const name = await model();
    const b = await subscriber(name, { eventPollIntervalMs: 0 });
    await silent.setAlias({ model: name, alias: 'production', version: 1 });
    await expect.poll(b.kill, { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => moves(b.events), { timeout: 30_000 }).toEqual([['alias.set', 1, 'proc-silent']]);
  }, 90_000);

  it('a change committed after a later one (an audit id taken before it) is still caught up', async () => {
    const name = await model();
    const b = await subscriber(name, { eventPollIntervalMs: 50 });
    // A write holds the next audit id in an open transaction (without NOTIFY, as if its notification were lost)…
    let commit!: () => void;
    const held = new Promise<void>((r) => {
      commit = r;
    });
    let inserted!: () => void;
    const insertedP = new Promise<void>((r) => {
      inserted = r;
    });
    const slow = storeA.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO registry_audit (principal, action, model, version, alias, reason, details)
         VALUES ('proc-slow', 'alias.set', $1, 1, 'production', NULL, '{}'::jsonb)`,
        [name],
      );
      inserted();
      await held;
    });
    await insertedP;
    // …while a later write commits first and is caught up by a poll.
    await silent.setAlias({ model: name, alias: 'production', version: 2 });
    await expect.poll(() => moves(b.events), { timeout: 30_000 }).toEqual([['alias.set', 2, 'proc-silent']]);
    commit();
    await slow;
    await expect
      .poll(() => moves(b.events), { timeout: 30_000 })
      .toEqual([
        ['alias.set', 2, 'proc-silent'],
        ['alias.set', 1, 'proc-slow'],
      ]);
  }, 90_000);

  it('polls the audit log as a fallback and delivers each event exactly once', async () => {
    const name = await model(3);
    const b = await subscriber(name, { eventPollIntervalMs: 50 });
    // Heard by NOTIFY and seen again by the polls: delivered once.
    await a.setAlias({ model: name, alias: 'production', version: 1 });
    await a.promote({ model: name, version: 2, alias: 'production' });
    // Never notified: only a poll finds it, after the two above were read again.
    await silent.setAlias({ model: name, alias: 'production', version: 3 });
    await expect
      .poll(() => moves(b.events), { timeout: 30_000 })
      .toEqual([
        ['alias.set', 1, 'proc-a'],
        ['alias.promoted', 2, 'proc-a'],
        ['alias.set', 3, 'proc-silent'],
      ]);
    // One more silent change, so several polls have run over the earlier rows: still no duplicate.
    await silent.deleteAlias({ model: name, alias: 'production' });
    await expect.poll(() => b.events.some((e) => e.action === 'alias.deleted'), { timeout: 30_000 }).toBe(true);
    const ids = b.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
  }, 90_000);
});
