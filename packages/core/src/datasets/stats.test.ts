import { describe, expect, it } from 'vitest';
import { createTabularStats, tabularFormat } from './stats.js';

async function statsOf(format: 'csv' | 'tsv' | 'jsonl', text: string | Buffer, chunkSize = 3, cap?: number) {
  const sink = createTabularStats(format, cap);
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text);
  // Feed tiny chunks so quoted fields, CRLF and multi-byte characters straddle chunk borders.
  for (let i = 0; i < buf.length; i += chunkSize) await sink.write(buf.subarray(i, i + chunkSize));
  return sink.finish();
}

describe('CSV statistics', () => {
  it('parses RFC 4180 (quotes, escaped quotes, embedded newlines, CRLF, BOM) and infers types', async () => {
    const csv =
      '\uFEFFid,price,label,ok,note\r\n' +
      '1,2.5,"a, b",true,"line one\r\nline two"\r\n' +
      '2,,"say ""hi""",FALSE,\r\n' +
      '3,-1e2,a; b,true,ünïcödé\r\n' +
      '4,10,"a, b",,x\r\n';
    const res = await statsOf('csv', csv);
    expect(res).toEqual({
      rows: 4,
      columns: [
        { name: 'id', type: 'integer', count: 4, missing: 0, min: 1, max: 4, mean: 2.5 },
        { name: 'price', type: 'number', count: 3, missing: 1, min: -100, max: 10, mean: (2.5 - 100 + 10) / 3 },
        { name: 'label', type: 'string', count: 4, missing: 0, distinct: 3 },
        { name: 'ok', type: 'boolean', count: 3, missing: 1, distinct: 2 },
        { name: 'note', type: 'string', count: 3, missing: 1, distinct: 3 },
      ],
    });
  });

  it('names empty and duplicate headers, marks all-missing columns empty', async () => {
    const res = await statsOf('csv', 'a,,a\n1,,x\n2,,y\n');
    expect(res).toMatchObject({
      rows: 2,
      columns: [
        { name: 'a', type: 'integer' },
        { name: 'column_2', type: 'empty', count: 0, missing: 2 },
        { name: 'a_3', type: 'string', distinct: 2 },
      ],
    });
  });

  it('caps distinct counting', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => `v${i}`).join('\n');
    const res = await statsOf('csv', `s\n${rows}\n`, 64, 10);
    expect(res).toMatchObject({ rows: 50, columns: [{ name: 's', distinct: 10, distinctCapped: true }] });
  });

  it('reads TSV', async () => {
    const res = await statsOf('tsv', 'x\ty\n1\ta\n2\tb\n');
    expect(res).toMatchObject({
      rows: 2,
      columns: [
        { name: 'x', type: 'integer', max: 2 },
        { name: 'y', distinct: 2 },
      ],
    });
  });

  it('reports a malformed file as an error instead of throwing', async () => {
    const res = await statsOf('csv', 'a,b\n1,2\n3,4,5\n');
    expect(res).toHaveProperty('error');
    expect((res as { error: string }).error).toMatch(/Record Length|fields/i);
  });
});

describe('JSONL statistics', () => {
  it('unions keys, counts absent and null as missing, keeps JSON kinds', async () => {
    const jsonl = [
      { a: 1, b: 'x', c: true },
      { a: 2.5, b: 'y', d: { nested: 1 } },
      { a: null, b: 'x', c: false, e: 1 },
      { a: 4, b: 'z', e: 'one' },
    ]
      .map((o) => JSON.stringify(o))
      .join('\n');
    const res = await statsOf('jsonl', `${jsonl}\n\n`);
    expect(res).toEqual({
      rows: 4,
      columns: [
        { name: 'a', type: 'number', count: 3, missing: 1, min: 1, max: 4, mean: 7.5 / 3 },
        { name: 'b', type: 'string', count: 4, missing: 0, distinct: 3 },
        { name: 'c', type: 'boolean', count: 2, missing: 2, distinct: 2 },
        { name: 'd', type: 'json', count: 1, missing: 3 },
        { name: 'e', type: 'mixed', count: 2, missing: 2, distinct: 1 },
      ],
    });
  });

  it('reports the first bad line', async () => {
    expect(await statsOf('jsonl', '{"a":1}\n{"a":\n')).toEqual({ error: expect.stringMatching(/^line 2:/) });
    expect(await statsOf('jsonl', '{"a":1}\n[1,2]\n')).toEqual({ error: 'line 2: expected a JSON object' });
  });
});

describe('tabularFormat', () => {
  it.each([
    ['a.csv', 'csv'],
    ['A.CSV', 'csv'],
    ['a.tsv', 'tsv'],
    ['a.jsonl', 'jsonl'],
    ['a.ndjson', 'jsonl'],
    ['a.parquet', undefined],
    ['a.json', undefined],
  ])('%s → %s', (path, format) => expect(tabularFormat(path)).toBe(format));
});
