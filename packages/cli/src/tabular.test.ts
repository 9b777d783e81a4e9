import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDelimited, parseJsonData, readTabularFile, typeCsvColumn } from './tabular.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-cli-tabular-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('typeCsvColumn', () => {
  it.each`
    cells                       | typed
    ${['1', '2.5', '', '-3e2']} | ${[1, 2.5, null, -300]}
    ${['true', 'FALSE', 'NA']}  | ${[true, false, null]}
    ${['a', '1', '']}           | ${['a', '1', null]}
    ${['', 'NaN']}              | ${[null, null]}
  `('$cells → $typed', ({ cells, typed }) => {
    expect(typeCsvColumn(cells)).toEqual(typed);
  });
});

describe('readers', () => {
  it('parses quoted CSV with embedded commas and newlines', () => {
    expect(parseDelimited('a,b\n1,"x, ""y"""\n2,"multi\nline"\n')).toEqual({
      a: [1, 2],
      b: ['x, "y"', 'multi\nline'],
    });
  });

  it('reads JSON rows, JSON columns and JSONL; rejects uneven columns', async () => {
    expect(parseJsonData('[{"a":1},{"a":2,"b":"x"}]')).toEqual({ a: [1, 2], b: [null, 'x'] });
    expect(parseJsonData('{"a":[1,2],"b":["x","y"]}')).toEqual({ a: [1, 2], b: ['x', 'y'] });
    expect(() => parseJsonData('{"a":[1],"b":[1,2]}')).toThrow(/different lengths/);
    await writeFile(join(dir, 'd.jsonl'), '{"a":1}\n\n{"a":2}\n');
    expect(await readTabularFile(join(dir, 'd.jsonl'))).toEqual({ a: [1, 2] });
  });

  it('missing file → NOT_FOUND, unknown extension or bad content → INVALID_INPUT', async () => {
    await expect(readTabularFile(join(dir, 'none.csv'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await writeFile(join(dir, 'd.parquet'), 'x');
    await expect(readTabularFile(join(dir, 'd.parquet'))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await writeFile(join(dir, 'bad.json'), '{nope');
    await expect(readTabularFile(join(dir, 'bad.json'))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('bad.json'),
    });
  });
});
