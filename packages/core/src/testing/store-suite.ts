import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMlopsError } from '../errors.js';
import type { Migration, Store } from '../store/store.js';

/** Options of {@link testStore}. */
export interface TestStoreOptions {
  /** Opens a fresh, empty store (called twice: once shared by the tests, once for the close test). */
  open: () => Promise<Store>;
  /** Cleans up after a store opened by `open` was closed. */
  dispose?: (store: Store) => Promise<void>;
  /**
   * How a reader outside an open transaction behaves: `'concurrent'` (PostgreSQL's MVCC: it answers at once, without
   * the uncommitted rows) or `'serialised'` (a single-connection store such as PGlite: it waits until the transaction
   * has ended, then sees the committed rows).
   * @default 'serialised' when `store.driver` is `'pglite'`, else `'concurrent'`
   */
  readers?: 'concurrent' | 'serialised';
  /**
   * Whether the driver implements `listen`/`notify`. When false, the suite checks that it has neither.
   * @default true
   */
  notifications?: boolean;
}

/** Lets every pending callback and I/O completion run, so a promise that could settle early has settled. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 100));
}

const ITEMS: Migration[] = [
  {
    version: 1,
    name: 'create items',
    sql: `CREATE TABLE suite_items (id text PRIMARY KEY, n integer NOT NULL);
          CREATE TABLE suite_values (id serial PRIMARY KEY, i8 bigint, f8 double precision, j jsonb, t timestamptz, b bytea, flag boolean, tags text[])`,
  },
  { version: 2, name: 'add note', sql: 'ALTER TABLE suite_items ADD COLUMN note text' },
];

/**
 * The conformance suite of the {@link Store} interface: every driver runs it (PGlite and PostgreSQL in core).
 *
 * @example
 * testStore('pglite', { open: () => createStore('memory://') });
 */
export function testStore(name: string, options: TestStoreOptions): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await options.open();
      await store.migrate('suite', ITEMS);
    });
    afterAll(async () => {
      await store.close();
      await options.dispose?.(store);
    });

    it('runs parameterised queries and returns rows', async () => {
      await store.query('INSERT INTO suite_items (id, n) VALUES ($1, $2), ($3, $4)', ['a', 1, 'b', 2]);
      const rows = await store.query<{ id: string; n: number }>('SELECT id, n FROM suite_items ORDER BY id');
      expect(rows).toEqual([
        { id: 'a', n: 1 },
        { id: 'b', n: 2 },
      ]);
    });

    it('maps types the same way on every driver', async () => {
      const when = new Date('2026-01-02T03:04:05.678Z');
      const [row] = await store.query<Record<string, unknown>>(
        `INSERT INTO suite_values (i8, f8, j, t, b, flag, tags) VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING i8, f8, j, t, b, flag, tags, (SELECT count(*) FROM suite_values) AS c`,
        [9007199254740991, 0.1, JSON.stringify({ a: [1, 'x', null] }), when, Buffer.from('hi'), true, ['p', 'q']],
      );
      expect(row!.i8).toBe(9007199254740991);
      expect(row!.f8).toBe(0.1);
      expect(row!.j).toEqual({ a: [1, 'x', null] });
      expect((row!.t as Date).toISOString()).toBe(when.toISOString());
      expect(Buffer.from(row!.b as Uint8Array).toString()).toBe('hi');
      expect(row!.flag).toBe(true);
      expect(row!.tags).toEqual(['p', 'q']);
      expect(typeof row!.c).toBe('number');
      const [big] = await store.query<{ v: unknown }>("SELECT '9007199254740993'::int8 AS v");
      expect(big!.v).toBe('9007199254740993');
      const [nul] = await store.query<{ v: unknown }>('SELECT $1::text AS v', [null]);
      expect(nul!.v).toBeNull();
    });

    it('commits a transaction that resolves', async () => {
      const out = await store.transaction(async (tx) => {
        await tx.query('INSERT INTO suite_items (id, n) VALUES ($1, $2)', ['c', 3]);
        await tx.query('INSERT INTO suite_items (id, n) VALUES ($1, $2)', ['d', 4]);
        return 'ok';
      });
      expect(out).toBe('ok');
      const rows = await store.query<{ id: string }>("SELECT id FROM suite_items WHERE id IN ('c', 'd') ORDER BY id");
      expect(rows.map((r) => r.id)).toEqual(['c', 'd']);
    });

    it('rolls back every row of a transaction that throws', async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.query('INSERT INTO suite_items (id, n) VALUES ($1, $2)', ['e', 5]);
          await tx.transaction(async (inner) => {
            await inner.query('INSERT INTO suite_items (id, n) VALUES ($1, $2)', ['f', 6]);
          });
          throw new Error('nope');
        }),
      ).rejects.toThrow('nope');
      const rows = await store.query("SELECT id FROM suite_items WHERE id IN ('e', 'f')");
      expect(rows).toEqual([]);
    });

    it('rolls back when a statement fails inside the transaction', async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.query('INSERT INTO suite_items (id, n) VALUES ($1, $2)', ['g', 7]);
          await tx.query('INSERT INTO suite_items (id, n) VALUES ($1, $2)', ['g', 8]); // duplicate key
        }),
      ).rejects.toMatchObject({ code: '23505' });
      expect(await store.query("SELECT id FROM suite_items WHERE id = 'g'")).toEqual([]);
      // the store is still usable afterwards
      expect(await store.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    });

    it('keeps uncommitted rows invisible to other readers until the commit', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let inserted!: () => void;
      const didInsert = new Promise<void>((r) => {
        inserted = r;
      });
      const tx = store.transaction(async (t) => {
        await t.query('INSERT INTO suite_items (id, n) VALUES ($1, $2)', ['h', 9]);
        inserted();
        await gate;
      });
      await didInsert;
      let outcome: { rows?: unknown[]; error?: unknown; whileOpen: boolean } | undefined;
      let open = true;
      const reader = store.query("SELECT id FROM suite_items WHERE id = 'h'").then(
        (rows) => {
          outcome = { rows, whileOpen: open };
        },
        (error: unknown) => {
          outcome = { error, whileOpen: open };
        },
      );
      const readers = options.readers ?? (store.driver === 'pglite' ? 'serialised' : 'concurrent');
      try {
        if (readers === 'concurrent') {
          // Answers while the transaction is still open, without its row.
          await expect.poll(() => outcome, { timeout: 5000 }).toEqual({ rows: [], whileOpen: true });
        } else {
          // Waits for the transaction to end: no answer (nor error) while it is open, however long we wait.
          await settle();
          expect(outcome).toBeUndefined();
        }
      } finally {
        open = false;
        release();
        await tx;
      }
      // Then answers (a serialised reader now sees the committed row): a reader is never lost.
      const expected =
        readers === 'serialised' ? { rows: [{ id: 'h' }], whileOpen: false } : { rows: [], whileOpen: true };
      await expect.poll(() => outcome, { timeout: 5000 }).toEqual(expected);
      await reader;
      expect(await store.query("SELECT id FROM suite_items WHERE id = 'h'")).toEqual([{ id: 'h' }]);
    });

    it('applies migrations once, in order, and is idempotent', async () => {
      await store.migrate('suite', ITEMS);
      await store.migrate('suite', ITEMS);
      const applied = await store.query<{ version: number; name: string }>(
        "SELECT version, name FROM core_migrations WHERE namespace = 'suite' ORDER BY version",
      );
      expect(applied).toEqual([
        { version: 1, name: 'create items' },
        { version: 2, name: 'add note' },
      ]);
      await store.query("UPDATE suite_items SET note = 'x' WHERE id = 'a'");
    });

    it('refuses an applied migration whose SQL changed', async () => {
      const changed = [{ ...ITEMS[0]!, sql: `${ITEMS[0]!.sql}; SELECT 1` }, ITEMS[1]!];
      const err = await store.migrate('suite', changed).catch((e: unknown) => e);
      expect(isMlopsError(err, 'MIGRATION_FAILED')).toBe(true);
      expect(String((err as Error).message)).toContain('suite#1');
    });

    it('refuses migrations numbered out of order', async () => {
      const err = await store.migrate('other', [{ version: 2, name: 'x', sql: 'SELECT 1' }]).catch((e: unknown) => e);
      expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
    });

    it('rolls back a failing migration completely', async () => {
      const broken: Migration[] = [
        { version: 1, name: 'ok part', sql: 'CREATE TABLE suite_broken (id int)' },
        { version: 2, name: 'bad part', sql: 'ALTER TABLE suite_missing ADD COLUMN x int' },
      ];
      const err = await store.migrate('broken', broken).catch((e: unknown) => e);
      expect(isMlopsError(err, 'MIGRATION_FAILED')).toBe(true);
      expect(String((err as Error).message)).toContain('broken#2');
      const [t] = await store.query<{ n: number }>(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'suite_broken' AND table_schema = current_schema()",
      );
      expect(t!.n).toBe(0);
      expect(await store.query("SELECT version FROM core_migrations WHERE namespace = 'broken'")).toEqual([]);
    });

    if (options.notifications === false) {
      it('has neither listen nor notify (notifications: false)', () => {
        expect(store.listen).toBeUndefined();
        expect(store.notify).toBeUndefined();
      });
    } else {
      it('delivers notifications to listeners until they unsubscribe', async () => {
        expect(typeof store.listen, 'listen (or declare notifications: false)').toBe('function');
        expect(typeof store.notify, 'notify (or declare notifications: false)').toBe('function');
        const got: string[] = [];
        const other: string[] = [];
        const unlisten = await store.listen!('suite_channel', (p) => got.push(p));
        const unlistenOther = await store.listen!('suite_channel', (p) => other.push(p));
        await store.notify!('suite_channel', 'one');
        await expect.poll(() => [got, other], { timeout: 5000 }).toEqual([['one'], ['one']]);
        await unlisten();
        await store.notify!('suite_channel', 'two');
        // The listener still subscribed gets 'two'; the one that unsubscribed does not.
        await expect.poll(() => other, { timeout: 5000 }).toEqual(['one', 'two']);
        await settle();
        expect(got).toEqual(['one']);
        await unlistenOther();
      });
    }

    it('fails with STORE_CLOSED after close', async () => {
      const other = await options.open();
      await other.close();
      await other.close(); // idempotent
      const err = await other.query('SELECT 1').catch((e: unknown) => e);
      expect(isMlopsError(err, 'STORE_CLOSED')).toBe(true);
      await options.dispose?.(other);
    });
  });
}
