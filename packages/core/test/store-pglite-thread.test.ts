import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, isMlopsError } from '@mlops/core';
import { afterAll, describe, expect, it } from 'vitest';

// The Store contract itself runs on a worker-thread PGlite in store.test.ts; these are what the thread adds.
const dir = mkdtempSync(join(tmpdir(), 'mlops-pglite-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** How many 5 ms timers fire while `work` runs. */
async function ticksDuring(work: () => Promise<unknown>): Promise<number> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return ticks;
}

const LONG_QUERY = 'SELECT count(*)::int AS n FROM generate_series(1, 1000000)';

describe('PGlite in a worker thread', () => {
  it("keeps the caller's event loop turning during a long statement, which PGlite on the main thread holds", async () => {
    const worker = await createStore('memory://?thread=worker');
    const here = await createStore('memory://');
    try {
      let rows: unknown;
      const onWorker = await ticksDuring(async () => {
        rows = await worker.query(LONG_QUERY);
      });
      const onMain = await ticksDuring(() => here.query(LONG_QUERY));
      expect(rows).toEqual([{ n: 1_000_000 }]);
      expect(onWorker).toBeGreaterThanOrEqual(5);
      expect(onMain).toBeLessThan(onWorker);
    } finally {
      await worker.close();
      await here.close();
    }
  }, 60_000);

  it("keeps PostgreSQL's error fields across the thread (SQLSTATE code, constraint, detail)", async () => {
    const store = await createStore('memory://?thread=worker');
    try {
      await store.exec('CREATE TABLE uniq (id int CONSTRAINT uniq_pk PRIMARY KEY)');
      await store.query('INSERT INTO uniq VALUES (1)');
      const err = await store.query('INSERT INTO uniq VALUES (1)').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).toMatchObject({ code: '23505', constraint: 'uniq_pk', detail: 'Key (id)=(1) already exists.' });
      const syntax = await store.query('SELEC 1').catch((e: unknown) => e);
      expect((syntax as { code: string }).code).toBe('42601');
      expect((syntax as Error).message).toContain('syntax error');
      // a failed statement inside a transaction rolls the whole transaction back
      const inTx = await store
        .transaction(async (tx) => {
          await tx.query('INSERT INTO uniq VALUES (2)');
          await tx.query('INSERT INTO uniq VALUES (1)');
        })
        .catch((e: unknown) => e);
      expect((inTx as { code: string }).code).toBe('23505');
      expect(await store.query('SELECT id FROM uniq ORDER BY id')).toEqual([{ id: 1 }]);
    } finally {
      await store.close();
    }
  });

  it('fails only the statement whose parameter cannot cross to the thread, with INVALID_INPUT', async () => {
    const store = await createStore('memory://?thread=worker');
    try {
      const err = await store.query('SELECT $1::text AS v', [() => 1]).catch((e: unknown) => e);
      expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
      expect((err as { details: { path: string }[] }).details[0]!.path).toBe('params');
      expect(await store.query('SELECT $1::text AS v', ['still fine'])).toEqual([{ v: 'still fine' }]);
    } finally {
      await store.close();
    }
  });

  it('stores an object parameter as the main-thread store does (toJSON, methods, class instances)', async () => {
    class Money {
      constructor(
        readonly cents: number,
        readonly currency: string,
      ) {}
      toJSON() {
        return `${this.cents / 100} ${this.currency}`;
      }
    }
    const params = [
      { price: new Money(1250, 'EUR'), note: 'x' },
      new Money(99, 'USD'),
      {
        n: 1,
        describe() {
          return 'a method';
        },
      },
      new URL('http://127.0.0.1/a?b=1'),
    ];
    const worker = await createStore('memory://?thread=worker');
    const here = await createStore('memory://');
    try {
      const read = (store: typeof worker) =>
        Promise.all(params.map(async (p) => (await store.query<{ v: unknown }>('SELECT $1::jsonb AS v', [p]))[0]!.v));
      const expected = await read(here);
      expect(expected).toEqual([{ price: '12.5 EUR', note: 'x' }, '0.99 USD', { n: 1 }, 'http://127.0.0.1/a?b=1']);
      expect(await read(worker)).toEqual(expected);
    } finally {
      await worker.close();
      await here.close();
    }
  }, 60_000);

  it('answers the statements sent before close, then fails with STORE_CLOSED', async () => {
    const store = await createStore('memory://?thread=worker');
    const sent = [1, 2, 3].map((i) => store.query<{ i: number }>('SELECT $1::int AS i', [i]));
    await store.close();
    expect((await Promise.all(sent)).map((rows) => rows[0]!.i)).toEqual([1, 2, 3]);
    const err = await store.query('SELECT 1').catch((e: unknown) => e);
    expect(isMlopsError(err, 'STORE_CLOSED')).toBe(true);
  });

  it('owns a data directory like the main-thread store: the lock, and data the other mode reads back', async () => {
    const url = `pglite://${join(dir, 'shared')}`;
    const a = await createStore(`${url}?thread=worker`);
    try {
      const second = await createStore(url).catch((e: unknown) => e);
      expect(isMlopsError(second, 'STORE_LOCKED')).toBe(true);
      await a.exec('CREATE TABLE kept (v text, at timestamptz, raw bytea, doc jsonb, big int8)');
      await a.query('INSERT INTO kept VALUES ($1, $2, $3, $4, $5)', [
        'x',
        new Date('2026-01-02T03:04:05Z'),
        Buffer.from([1, 2, 255]),
        { a: [1, 'b'] },
        '9007199254740993',
      ]);
      const [row] = await a.query<Record<string, unknown>>('SELECT * FROM kept');
      expect(row).toEqual({
        v: 'x',
        at: new Date('2026-01-02T03:04:05Z'),
        raw: new Uint8Array([1, 2, 255]),
        doc: { a: [1, 'b'] },
        big: '9007199254740993',
      });
    } finally {
      await a.close();
    }
    const b = await createStore(url);
    try {
      expect(await b.query('SELECT v FROM kept')).toEqual([{ v: 'x' }]);
    } finally {
      await b.close();
    }
  }, 60_000);

  it('keeps the process alive only while a statement is out: it answers, then the process exits unclosed', () => {
    const res = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures/thread-store-exit.ts')],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(res.signal).toBeNull();
    expect(res.status).toBe(0);
    expect(res.stdout.trim()).toBe(JSON.stringify({ ok: true, n: 300_000 }));
  }, 90_000);

  it('delivers notifications from the thread to every listener, and stops after unlisten', async () => {
    const store = await createStore('memory://?thread=worker');
    try {
      const a: string[] = [];
      const b: string[] = [];
      const offA = await store.listen!('chan', (p) => a.push(p));
      const offB = await store.listen!('chan', (p) => b.push(p));
      await store.notify!('chan', 'one');
      await expect.poll(() => [a, b]).toEqual([['one'], ['one']]);
      await offA();
      await store.notify!('chan', 'two');
      await expect.poll(() => b).toEqual(['one', 'two']);
      await offB();
      await store.notify!('chan', 'three');
      await store.query('SELECT 1');
      expect([a, b]).toEqual([['one'], ['one', 'two']]);
    } finally {
      await store.close();
    }
  });

  it('reports a PGlite that cannot open as INTERNAL naming the store, and leaves no lock behind', async () => {
    const file = join(dir, 'not-a-dir');
    await (await import('node:fs/promises')).writeFile(file, 'x');
    const err = await createStore(`pglite://${file}?thread=worker`).catch((e: unknown) => e);
    expect(isMlopsError(err, 'INTERNAL')).toBe(true);
    expect((err as Error).message).toContain(`Could not open pglite://${file}`);
    const again = await createStore(`pglite://${file}?thread=worker`).catch((e: unknown) => e);
    expect(isMlopsError(again, 'INTERNAL')).toBe(true);
  }, 60_000);
});
