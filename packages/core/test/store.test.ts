import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, isMlopsError, type Store } from '@mlops/core';
import { type StoreBackend, testBackends, testStore } from '@mlops/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

for (const backend of testBackends()) {
  testStore(`[${backend.name}]`, { open: backend.open, dispose: backend.dispose });
}
// PGlite in a worker thread: the same contract, every statement crossing a thread boundary.
testStore('[pglite] in a worker thread', { open: () => createStore('memory://?thread=worker') });

// Edges of the contract every driver must meet the same way (found by probing the drivers side by side).
const drivers: StoreBackend[] = [
  ...testBackends(),
  { name: 'pglite', open: () => createStore('memory://?thread=worker'), dispose: async () => {} },
];
for (const [i, backend] of drivers.entries()) {
  const title = i === drivers.length - 1 ? '[pglite] in a worker thread' : `[${backend.name}]`;
  describe(`Store edges ${title}`, () => {
    // One store for the tests that leave it open (PGlite takes seconds to start); the close tests open their own.
    let shared: Store | undefined;
    beforeAll(async () => {
      shared = await backend.open();
    });
    afterAll(async () => {
      if (!shared) return;
      await shared.close();
      await backend.dispose(shared);
    });
    const withStore = (fn: (store: Store) => Promise<void>): Promise<void> => fn(shared!);

    it('answers every statement sent before close (even one waiting for a connection), then STORE_CLOSED', async () => {
      const store = await backend.open();
      // more statements than PostgreSQL's pool has connections: some wait in its queue when close() is called
      const sent = Array.from({ length: 25 }, (_, i) =>
        store.query<{ i: number }>('SELECT $1::int AS i', [i]).then(
          (rows) => rows[0]!.i,
          (err: unknown) => err,
        ),
      );
      await store.close();
      expect(await Promise.all(sent)).toEqual(Array.from({ length: 25 }, (_, i) => i));
      expect(isMlopsError(await store.query('SELECT 1').catch((e: unknown) => e), 'STORE_CLOSED')).toBe(true);
      await backend.dispose(store);
    });

    it('rejects a transaction whose callback swallowed a failed statement, and commits none of its rows', async () => {
      await withStore(async (store) => {
        await store.exec('CREATE TABLE edge_tx (id int PRIMARY KEY)');
        const err = await store
          .transaction(async (tx) => {
            await tx.query('INSERT INTO edge_tx VALUES (1)');
            await tx.query('INSERT INTO edge_tx VALUES (1)').catch(() => {}); // duplicate key, ignored by the caller
            return 'resolved';
          })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(Error);
        expect(err).toMatchObject({ code: '25P02' });
        expect(await store.query('SELECT id FROM edge_tx')).toEqual([]);
      });
    });

    it('refuses statements on a transaction-scoped store once its transaction has ended (STORE_CLOSED)', async () => {
      await withStore(async (store) => {
        let leaked: Store | undefined;
        await store.transaction(async (tx) => {
          leaked = tx;
        });
        const err = await leaked!.query('SELECT 1').catch((e: unknown) => e);
        expect(isMlopsError(err, 'STORE_CLOSED')).toBe(true);
        const execErr = await leaked!.exec('SELECT 1').catch((e: unknown) => e);
        expect(isMlopsError(execErr, 'STORE_CLOSED')).toBe(true);
        expect(await store.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
      });
    });

    it('listens on a channel named with capitals, spaces or SQL as the literal name it is', async () => {
      await withStore(async (store) => {
        await store.exec('CREATE TABLE edge_listen (id int)');
        const heard: string[] = [];
        for (const channel of ['Mixed Case', 'x; DROP TABLE edge_listen', 'ünï_chan']) {
          const off = await store.listen!(channel, (p) => heard.push(`${channel}=${p}`));
          await store.notify!(channel, 'hi');
          await expect.poll(() => heard.at(-1), { timeout: 5000 }).toBe(`${channel}=hi`);
          await off();
        }
        expect(await store.query('SELECT count(*)::int AS n FROM edge_listen')).toEqual([{ n: 0 }]);
      });
    });

    it('query() runs one statement: several are refused (42601) on every driver, exec() runs them', async () => {
      await withStore(async (store) => {
        const err = await store.query('SELECT 1 AS a; SELECT 2 AS b').catch((e: unknown) => e);
        expect(err).toMatchObject({ code: '42601' });
        await store.exec('CREATE TABLE edge_multi (id int); INSERT INTO edge_multi VALUES (1)');
        expect(await store.query('SELECT id FROM edge_multi')).toEqual([{ id: 1 }]);
      });
    });

    it('a second close() resolves only once the store is closed', async () => {
      const store = await backend.open();
      let firstDone = false;
      const first = store.close().then(() => {
        firstDone = true;
      });
      await store.close();
      expect(firstDone).toBe(true);
      await first;
      await backend.dispose(store);
    });
  });
}

describe('PGlite data directory closed twice', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-store-close-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const thread of ['main', 'worker'] as const) {
    it(`[${thread}] can be reopened as soon as any close() call resolves`, async () => {
      const url = `pglite://${join(dir, thread)}?thread=${thread}`;
      const store = await createStore(url);
      void store.close();
      await store.close();
      const again = await createStore(url);
      await again.close();
    }, 60_000);
  }
});
