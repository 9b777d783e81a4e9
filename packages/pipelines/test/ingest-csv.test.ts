import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '@mlops/core';
import { describeStores } from '@mlops/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestCsv, listQuarantine } from '../src/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-ingest-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function file(name: string, text: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const MALFORMED = [
  '\ufeffid,Name,Amount,Day', // 1 (BOM, mixed-case header)
  '1,alpha,1.5,2024-01-01', // 2 ok
  '2,beta,2', // 3 too few fields
  '3,gamma,abc,2024-01-03', // 4 bad number
  '', // 5 blank line: ignored
  '4,"multi', // 6 ok, quoted newline…
  'line",4.5,2024-01-04', // 7 …ends here
  '5,delta,5,2024-02-30', // 8 bad date
  '6,eps,6,2024-01-06,extra', // 9 too many fields
  '7,"bad"quote,7,2024-01-07', // 10 invalid closing quote (the parser skips ahead; lines 11-12 are recovered)
  '8,eta,8,2024-01-08', // 11 ok
  '9,"theta, ""quoted""",9,2024-01-09', // 12 ok
  'ten,iota,10,2024-01-10', // 13 bad integer
  '11,kappa,,', // 14 ok: empty cells are NULL
  '12,"unterminated,12,2024-01-12', // 15 quote never closed: this line is quarantined…
  '13,lambda,13,2024-01-13', // 16 …and the next ones are parsed again
].join('\r\n');

describeStores('ingestCsv', (getStore) => {
  const tag = `i${randomBytes(4).toString('hex')}`;
  const schemas = { raw: `${tag}_raw` };
  const raw = schemas.raw;
  afterAll(async () => {
    await getStore().exec(`DROP SCHEMA IF EXISTS "${raw}" CASCADE`);
  });
  const rowsOf = (store: Store, table: string, order = 'id') =>
    store.query<Record<string, unknown>>(`SELECT * FROM "${raw}"."${table}" ORDER BY ${order}`);

  it('loads clean rows and quarantines every malformed one with its line, raw text and reason', async () => {
    const store = getStore();
    const path = await file('malformed.csv', MALFORMED);
    const result = await ingestCsv({
      store,
      path,
      table: 'raw.items',
      schemas,
      schema: { id: 'integer', amount: 'double', day: 'date' },
      batchSize: 2,
      progress: false,
    });
    expect(result.table).toBe(`${raw}.items`);
    expect(result.columns.map((c) => [c.name, c.type, c.declared])).toEqual([
      ['id', 'integer', true],
      ['name', 'text', false],
      ['amount', 'double', true],
      ['day', 'date', true],
    ]);
    const rows = await store.query<Record<string, unknown>>(
      `SELECT id, name, amount, to_char(day, 'YYYY-MM-DD') AS day FROM "${raw}"."items" ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 1, name: 'alpha', amount: 1.5, day: '2024-01-01' },
      { id: 4, name: 'multi\r\nline', amount: 4.5, day: '2024-01-04' },
      { id: 8, name: 'eta', amount: 8, day: '2024-01-08' },
      { id: 9, name: 'theta, "quoted"', amount: 9, day: '2024-01-09' },
      { id: 11, name: 'kappa', amount: null, day: null },
      { id: 13, name: 'lambda', amount: 13, day: '2024-01-13' },
    ]);
    expect(result.rows).toBe(6);
    const q = await listQuarantine(store, { ingestionId: result.ingestionId });
    expect(q.map((r) => [r.line, r.raw])).toEqual([
      [3, '2,beta,2'],
      [4, '3,gamma,abc,2024-01-03'],
      [8, '5,delta,5,2024-02-30'],
      [9, '6,eps,6,2024-01-06,extra'],
      [10, '7,"bad"quote,7,2024-01-07'],
      [13, 'ten,iota,10,2024-01-10'],
      [15, '12,"unterminated,12,2024-01-12'],
    ]);
    expect(q.map((r) => r.reason)).toEqual([
      'expected 4 fields, got 3',
      'column "amount" (double): "abc" is not a number',
      'column "day" (date): "2024-02-30" is not a date (YYYY-MM-DD)',
      'expected 4 fields, got 5',
      expect.stringMatching(/Invalid Closing Quote/),
      'column "id" (integer): "ten" is not an integer',
      expect.stringMatching(/Quote Not Closed/),
    ]);
    expect(result.quarantined).toBe(7);
    expect(result.reasons).toEqual({ column_count: 2, type: 3, quoting: 2, database: 0 });
    const [ing] = await store.query<{ status: string; rows_loaded: number; rows_quarantined: number }>(
      'SELECT status, rows_loaded, rows_quarantined FROM pipelines_ingestions WHERE id = $1',
      [result.ingestionId],
    );
    expect(ing).toEqual({ status: 'succeeded', rows_loaded: 6, rows_quarantined: 7 });
  });

  it('numbers lines the same with LF line endings and blank lines', async () => {
    const store = getStore();
    const path = await file('malformed-lf.csv', MALFORMED.replaceAll('\r\n', '\n'));
    const result = await ingestCsv({
      store,
      path,
      table: 'raw.items_lf',
      schemas,
      schema: { id: 'integer', amount: 'double', day: 'date' },
      progress: false,
    });
    expect(result.rows).toBe(6);
    const q = await listQuarantine(store, { ingestionId: result.ingestionId });
    expect(q.map((r) => r.line)).toEqual([3, 4, 8, 9, 10, 13, 15]);
    expect((await rowsOf(store, 'items_lf')).find((r) => r.id === 4)?.name).toBe('multi\nline');
  });

  it('quarantines rows the database refuses without losing the rest of their batch', async () => {
    const store = getStore();
    const path = await file('overflow.csv', 'id,v\n1,1.5\n2,1e999999\n3,3\n');
    const result = await ingestCsv({
      store,
      path,
      table: 'raw.nums',
      schemas,
      schema: { v: 'numeric' },
      progress: false,
    });
    expect(result).toMatchObject({ rows: 2, quarantined: 1, reasons: { database: 1 } });
    expect((await rowsOf(store, 'nums')).map((r) => Number(r.id))).toEqual([1, 3]);
    const [q] = await listQuarantine(store, { ingestionId: result.ingestionId });
    expect(q).toMatchObject({
      line: 3,
      raw: '2,1e999999',
      reason: expect.stringContaining('rejected by the database'),
    });
  });

  it('infers column types from the first rows and quarantines later rows that do not fit', async () => {
    const store = getStore();
    const lines = ['n,x,flag,d,label'];
    for (let i = 0; i < 30; i++)
      lines.push(
        `${i},${i / 2},${i % 2 === 0 ? 'true' : 'false'},2024-01-${String((i % 28) + 1).padStart(2, '0')},l${i}`,
      );
    lines.push('31,not-a-number,true,2024-02-01,late');
    const path = await file('infer.csv', lines.join('\n'));
    const result = await ingestCsv({ store, path, table: 'raw.inferred', schemas, inferRows: 10, progress: false });
    expect(result.columns.map((c) => c.type)).toEqual(['integer', 'double', 'boolean', 'date', 'text']);
    expect(result.rows).toBe(30);
    expect(result.quarantined).toBe(1);
    const types = await store.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'inferred' ORDER BY ordinal_position`,
      [raw],
    );
    expect(types.map((t) => t.data_type)).toEqual(['integer', 'double precision', 'boolean', 'date', 'text']);
  });

  it('replaces the table only when a load completes, and appends in append mode', async () => {
    const store = getStore();
    const first = await file('v1.csv', 'id,name\n1,a\n2,b\n');
    await ingestCsv({ store, path: first, table: 'raw.swap', schemas, progress: false });
    await expect(
      ingestCsv({ store, path: first, table: 'raw.swap', schemas, schema: { nope: 'text' }, progress: false }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('"nope"') });
    await expect(
      ingestCsv({ store, path: join(dir, 'missing.csv'), table: 'raw.swap', schemas }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(
      ingestCsv({ store, path: await file('empty.csv', ''), table: 'raw.swap', schemas }),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect((await rowsOf(store, 'swap')).map((r) => r.name)).toEqual(['a', 'b']);
    const failed = await store.query<{ status: string }>(
      `SELECT status FROM pipelines_ingestions WHERE target = $1 ORDER BY started_at`,
      [`${raw}.swap`],
    );
    expect(failed.map((f) => f.status)).toEqual(['succeeded', 'failed', 'failed']);
    const leftovers = await store.query(
      `SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename LIKE '%mlops_loading'`,
      [raw],
    );
    expect(leftovers).toEqual([]);

    await ingestCsv({
      store,
      path: await file('v2.csv', 'id,name\n3,c\n'),
      table: 'raw.swap',
      schemas,
      mode: 'append',
      progress: false,
    });
    expect((await rowsOf(store, 'swap')).map((r) => r.name)).toEqual(['a', 'b', 'c']);
    await ingestCsv({
      store,
      path: await file('v3.csv', 'id,name\n9,z\n'),
      table: 'raw.swap',
      schemas,
      progress: false,
    });
    expect((await rowsOf(store, 'swap')).map((r) => r.name)).toEqual(['z']);
  });

  it('streams a larger file in batches and reports progress in bytes', async () => {
    const store = getStore();
    const n = 20_000;
    const text = ['id,body'];
    for (let i = 0; i < n; i++) text.push(`${i},"ticket ${i} body, with comma"`);
    const path = await file('large.csv', `${text.join('\n')}\n`);
    const lines: string[] = [];
    const stream = { write: (s: string) => lines.push(s), isTTY: false };
    const result = await ingestCsv({
      store,
      path,
      table: 'raw.large',
      schemas,
      batchSize: 5000,
      progress: { mode: 'json', stream },
    });
    expect(result).toMatchObject({ rows: n, quarantined: 0 });
    expect(await store.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM "${raw}"."large"`)).toEqual([
      { n, d: n },
    ]);
    const events = lines.map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ msg: 'progress.start', total: result.bytes, unit: 'bytes' });
    expect(events.at(-1)).toMatchObject({
      msg: 'progress.end',
      done: result.bytes,
      summary: { rows: n, quarantined: 0 },
    });
  });
});
