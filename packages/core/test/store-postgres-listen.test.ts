import { randomBytes } from 'node:crypto';
import { createStore, type ListenStatus, type Store } from '@mlops/core';
import { postgresStore } from '@mlops/core/store/postgres';
import { testPostgresUrl } from '@mlops/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A restart of the shared test server is not possible from a test: the LISTEN connection is broken instead by
// terminating its backend from another connection (what a restart does to every client), found by the
// application_name its store's URL sets. Skipped with a printed reason without MLOPS_TEST_POSTGRES_URL.
const url = testPostgresUrl('the PostgreSQL LISTEN connection surviving a lost backend');

const withParam = (u: string, param: string) => `${u}${u.includes('?') ? '&' : '?'}${param}`;

describe.skipIf(!url)('postgres store LISTEN reconnection [postgres]', () => {
  let admin: Store;
  beforeAll(async () => {
    admin = await createStore(url!);
  });
  afterAll(async () => {
    await admin?.close();
  });

  /** Terminates the LISTEN backends of the connections named `app`; returns how many. */
  async function killListener(app: string): Promise<number> {
    const rows = await admin.query<{ ok: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = $1 AND query LIKE 'LISTEN%'`,
      [app],
    );
    return rows.filter((r) => r.ok).length;
  }

  it('reconnects after its backend is terminated, re-LISTENs every channel and reports the loss and the recovery', async () => {
    const app = `t_listen_${randomBytes(4).toString('hex')}`;
    const statuses: ListenStatus[] = [];
    const store = await postgresStore({
      connectionString: withParam(url!, `application_name=${app}`),
      listenBackoff: { initialMs: 50, maxMs: 500 },
      onListenStatus: () => {},
    });
    const channels = [`${app}_a`, `${app}_b`];
    const heard: Record<string, string[]> = { [channels[0]!]: [], [channels[1]!]: [] };
    try {
      for (const ch of channels) {
        await store.listen!(ch, (p) => heard[ch]!.push(p), { onStatus: (s) => statuses.push(s) });
      }
      await admin.notify!(channels[0]!, 'before');
      await expect.poll(() => heard[channels[0]!], { timeout: 20_000 }).toEqual(['before']);

      await expect.poll(() => killListener(app), { timeout: 20_000 }).toBeGreaterThan(0);
      await expect.poll(() => statuses.some((s) => s.state === 'restored'), { timeout: 30_000 }).toBe(true);
      // Notifications after the recovery reach every channel again.
      for (const ch of channels) await admin.notify!(ch, `after ${ch}`);
      await expect.poll(() => heard[channels[1]!], { timeout: 20_000 }).toEqual([`after ${channels[1]}`]);
      await expect.poll(() => heard[channels[0]!], { timeout: 20_000 }).toEqual(['before', `after ${channels[0]}`]);
      const lost = statuses.find((s) => s.state === 'lost');
      expect(lost).toMatchObject({ state: 'lost', attempt: 0 });
      expect((lost as { error: Error }).error).toBeInstanceOf(Error);
    } finally {
      await store.close();
    }
  }, 90_000);

  it('a transaction whose connection dies (a restart mid-transaction) rejects, without an unhandled error event', async () => {
    const store = await createStore(url!);
    try {
      const err = await store
        .transaction(async (tx) => {
          const [row] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          const pid = row!.pid;
          await admin.query('SELECT pg_terminate_backend($1)', [pid]);
          // Let the connection's end arrive while the transaction holds it idle (no query running).
          await expect
            .poll(async () => (await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).length, {
              timeout: 20_000,
            })
            .toBe(0);
          await new Promise((r) => setTimeout(r, 50));
          await tx.query('SELECT 1');
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      // The pool replaced the dead connection.
      expect(await store.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await store.close();
    }
  }, 90_000);

  it('stops reconnecting once the store is closed', async () => {
    const app = `t_listen_${randomBytes(4).toString('hex')}`;
    const statuses: ListenStatus[] = [];
    const store = await postgresStore({
      connectionString: withParam(url!, `application_name=${app}`),
      listenBackoff: { initialMs: 50, maxMs: 200 },
      onListenStatus: (s) => statuses.push(s),
    });
    await store.listen!(`${app}_c`, () => {});
    await expect.poll(() => killListener(app), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => statuses.length, { timeout: 20_000 }).toBeGreaterThan(0);
    await store.close();
    const count = async () =>
      (
        await admin.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
          [app],
        )
      )[0]!.n;
    await expect.poll(count, { timeout: 20_000 }).toBe(0);
    // Several backoff periods later, nothing has reconnected: a closed store opens no connection.
    const settled = statuses.length;
    await new Promise((r) => setTimeout(r, 600));
    expect(await count()).toBe(0);
    expect(statuses.length).toBe(settled);
  }, 90_000);
});
