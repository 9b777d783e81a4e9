import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { xorshift } from '../../test/prng.js';
import { detectDrift } from '../detect/detect-drift.js';
import { createProfileBuilder } from '../profile/builder.js';
import { mergeProfiles } from '../profile/merge.js';
import { parquetBatches, parquetInfo, profileParquet, readParquet } from './parquet.js';

const r = xorshift(11);
const N = 25_000;
const x = Float64Array.from({ length: N }, () => r() * 10);
const y = Array.from({ length: N }, (_, i) => (i % 8 === 0 ? null : r()));
const city = Array.from({ length: N }, (_, i) => (i % 9 === 0 ? null : ['Paris', 'Lyon', 'Nice'][i % 3]!));
const id = BigInt64Array.from({ length: N }, (_, i) => BigInt(i));
const at = Array.from({ length: N }, (_, i) => new Date(Date.UTC(2025, 0, 1) + i * 1000));
// three row groups: 10,000 + 10,000 + 5,000
const bytes = parquetWriteBuffer({
  columnData: [
    { name: 'x', data: x, type: 'DOUBLE', nullable: false },
    { name: 'y', data: y, type: 'DOUBLE' },
    { name: 'city', data: city, type: 'STRING' },
    { name: 'id', data: id, type: 'INT64', nullable: false },
    { name: 'at', data: at, type: 'TIMESTAMP' },
  ],
  rowGroupSize: 10_000,
});
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('@mlops/drift/parquet', () => {
  it('reads one row group at a time, DOUBLE columns as Float64Array, nulls as null, INT64 as numbers', async () => {
    const sizes: number[] = [];
    for await (const batch of parquetBatches(bytes)) {
      sizes.push((batch.x as Float64Array).length);
      expect(batch.x).toBeInstanceOf(Float64Array);
      expect(batch.id).toBeInstanceOf(Float64Array);
    }
    expect(sizes).toEqual([10_000, 10_000, 5_000]);
    const all = await readParquet(bytes, { columns: ['x', 'y', 'id', 'at'] });
    expect(Object.keys(all)).toEqual(['x', 'y', 'id', 'at']);
    expect(Array.from(all.x as Float64Array)).toEqual(Array.from(x));
    expect((all.y as unknown[])[0]).toBeNull();
    expect((all.y as unknown[])[1]).toBe(y[1]);
    expect((all.id as Float64Array)[N - 1]).toBe(N - 1);
    expect((all.at as Date[])[2]).toEqual(at[2]);
  });

  it('profiles a file by path, row group by row group: the same profile as the rows fed to a builder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drift-parquet-'));
    dirs.push(dir);
    const file = join(dir, 'reference.parquet');
    await writeFile(file, new Uint8Array(bytes));
    const fromFile = await profileParquet(file);
    const direct = createProfileBuilder()
      .add({ x, y, city, id: Float64Array.from(id, Number), at })
      .finish();
    expect(fromFile).toEqual(direct);
    expect(fromFile.columns.map((c) => `${c.name}:${c.type}:${c.missing}`)).toEqual([
      'x:numerical:0',
      `y:numerical:${N / 8 + (N % 8 ? 1 : 0)}`,
      `city:categorical:${Math.ceil(N / 9)}`,
      'id:numerical:0',
      'at:datetime:0',
    ]);
  });

  it('splits a file by row groups: profiles of the parts merge into the profile of the file', async () => {
    expect(await parquetInfo(bytes)).toEqual({ rows: N, rowGroups: 3, columns: ['x', 'y', 'city', 'id', 'at'] });
    const middle = await readParquet(bytes, { columns: ['x'], rowGroups: { from: 1, to: 2 } });
    expect(Array.from(middle.x as Float64Array)).toEqual(Array.from(x.subarray(10_000, 20_000)));
    const [first, rest] = await Promise.all([
      profileParquet(bytes, { rowGroups: { to: 1 }, sampleSize: 1000 }),
      profileParquet(bytes, { rowGroups: { from: 1 }, sampleSize: 1000 }),
    ]);
    expect(first.rows).toBe(10_000);
    const merged = mergeProfiles(first, rest);
    const whole = await profileParquet(bytes, { sampleSize: 1000 });
    for (const c of whole.columns) {
      const m = merged.columns.find((mc) => mc.name === c.name)!;
      expect({ count: m.count, missing: m.missing, type: m.type }).toEqual({
        count: c.count,
        missing: c.missing,
        type: c.type,
      });
      if (c.numeric) expect(m.numeric!.mean).toBeCloseTo(c.numeric.mean, 9);
    }
  });

  it('feeds detectDrift (a profile of one file against the rows of another)', async () => {
    const reference = await profileParquet(bytes, { columns: ['x'] });
    const shifted = parquetWriteBuffer({ columnData: [{ name: 'x', data: x.map((v) => v + 2), type: 'DOUBLE' }] });
    expect(detectDrift(reference, await readParquet(shifted)).dataset.drifted).toBe(true);
    expect(detectDrift(reference, await readParquet(bytes, { columns: ['x'] })).dataset.drifted).toBe(false);
  });

  it('keeps a column named "__proto__" and rejects a requested column the file lacks with INVALID_INPUT', async () => {
    const odd = parquetWriteBuffer({
      columnData: [
        { name: '__proto__', data: x.slice(0, 100), type: 'DOUBLE', nullable: false },
        { name: 'b', data: x.slice(100, 200), type: 'DOUBLE', nullable: false },
      ],
    });
    const data = await readParquet(odd);
    expect(Object.keys(data)).toEqual(['__proto__', 'b']);
    const batches = [];
    for await (const batch of parquetBatches(odd)) batches.push(Object.keys(batch));
    expect(batches).toEqual([['__proto__', 'b']]);
    const profile = await profileParquet(odd);
    expect(profile.columns.map((c) => c.name)).toEqual(['__proto__', 'b']);
    expect(detectDrift(profile, data).schema.missing).toEqual([]);
    await expect(readParquet(odd, { columns: ['nope'] })).rejects.toMatchObject({
      name: 'DriftError',
      code: 'INVALID_INPUT',
    });
  });
});
