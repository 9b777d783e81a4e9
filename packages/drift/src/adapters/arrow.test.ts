import {
  Bool,
  Dictionary,
  Float64,
  Int32,
  Int64,
  makeVector,
  RecordBatchStreamWriter,
  Table,
  TimestampMillisecond,
  tableFromArrays,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { xorshift } from '../../test/prng.js';
import { detectDrift } from '../detect/detect-drift.js';
import { createProfileBuilder } from '../profile/builder.js';
import { arrowBatches, fromArrow, profileArrow } from './arrow.js';

const r = xorshift(7);
const N = 30_000;
const x = Float64Array.from({ length: N }, () => r() * 10);
const withNulls = Array.from({ length: N }, (_, i) => (i % 10 === 0 ? null : r()));
const table = new Table({
  x: makeVector(x),
  y: vectorFromArray(withNulls, new Float64()),
  n: vectorFromArray(
    Array.from({ length: N }, (_, i) => i % 50),
    new Int32(),
  ),
  big: vectorFromArray(
    Array.from({ length: N }, (_, i) => BigInt(i)),
    new Int64(),
  ),
  city: vectorFromArray(
    Array.from({ length: N }, (_, i) => (i % 7 === 0 ? null : ['Paris', 'Lyon', 'Nice'][i % 3]!)),
    new Utf8(),
  ),
  plan: vectorFromArray(
    Array.from({ length: N }, (_, i) => ['a', 'b'][i % 2]!),
    new Dictionary(new Utf8(), new Int32()),
  ),
  ok: vectorFromArray(
    Array.from({ length: N }, (_, i) => i % 3 === 0),
    new Bool(),
  ),
  at: vectorFromArray(
    Array.from({ length: N }, (_, i) => new Date(Date.UTC(2025, 0, 1) + i * 60_000)),
    new TimestampMillisecond(),
  ),
});

describe('@mlops/drift/arrow', () => {
  it('reads a Float64 column without nulls with no copy, and the other types as drift reads them', () => {
    const cols = fromArrow(table);
    const vx = table.getChild('x')!;
    expect(cols.x).toBeInstanceOf(Float64Array);
    expect((cols.x as Float64Array).buffer).toBe(vx.data[0]!.values.buffer);
    expect(Array.from(cols.x as Float64Array)).toEqual(Array.from(x));
    const y = cols.y as Float64Array;
    expect(y).toBeInstanceOf(Float64Array);
    expect(Number.isNaN(y[0]!)).toBe(true); // null → NaN (missing), never 0
    expect(y[1]).toBe(withNulls[1]);
    expect((cols.n as Float64Array)[51]).toBe(1);
    expect((cols.big as Float64Array)[N - 1]).toBe(N - 1);
    expect((cols.city as unknown[])[0]).toBeNull();
    expect((cols.city as unknown[])[1]).toBe('Lyon');
    expect((cols.plan as unknown[])[1]).toBe('b');
    expect((cols.ok as unknown[])[0]).toBe(true);
    expect((cols.at as unknown[])[1]).toEqual(new Date(Date.UTC(2025, 0, 1) + 60_000));
    expect(() => fromArrow(table, { columns: ['nope'] })).toThrow(/not in the Arrow table/);
  });

  it('profiles an IPC stream batch by batch: the same profile as the columns fed to a builder', async () => {
    // an IPC stream of several record batches, as a writer in another process would send it
    const batches = [0, 10_000, 20_000].map((from) => table.slice(from, from + 10_000));
    const writer = new RecordBatchStreamWriter();
    for (const b of batches) for (const rb of b.batches) writer.write(rb);
    writer.finish();
    const ipc = writer.toUint8Array(true);
    const streamed = await profileArrow(ipc, { columnMapping: { categorical: ['n'] } });
    const direct = createProfileBuilder({ columnMapping: { categorical: ['n'] } })
      .add(fromArrow(table))
      .finish();
    expect(streamed).toEqual(direct);
    const types = Object.fromEntries(streamed.columns.map((c) => [c.name, c.type]));
    expect(types).toEqual({
      x: 'numerical',
      y: 'numerical',
      n: 'categorical',
      big: 'numerical',
      city: 'categorical',
      plan: 'categorical',
      ok: 'boolean',
      at: 'datetime',
    });
    const y = streamed.columns.find((c) => c.name === 'y')!;
    expect(y.missing).toBe(N / 10);
    let seen = 0;
    for await (const b of arrowBatches(tableToIPC(table, 'file'), { columns: ['x'] }))
      seen += (b.x as Float64Array).length;
    expect(seen).toBe(N);
  });

  it('feeds detectDrift: a profile of one table against another table', async () => {
    const reference = await profileArrow(table, { columns: ['x'] });
    const shifted = tableFromArrays({ x: Float64Array.from(x.subarray(0, 5_000), (v) => v + 2) });
    const same = tableFromArrays({ x: x.slice(0, 5_000) });
    expect(detectDrift(reference, fromArrow(shifted)).dataset.drifted).toBe(true);
    expect(detectDrift(reference, fromArrow(same)).dataset.drifted).toBe(false);
  });

  it('keeps a column named "__proto__" and rejects a requested column the table lacks with INVALID_INPUT', () => {
    const odd = new Table({ ['__proto__']: makeVector(x.slice(0, 100)), b: makeVector(x.slice(100, 200)) });
    expect(odd.schema.fields.map((f) => f.name)).toEqual(['__proto__', 'b']);
    const data = fromArrow(odd);
    expect(Object.keys(data)).toEqual(['__proto__', 'b']);
    expect(() => fromArrow(odd, { columns: ['nope'] })).toThrow(
      expect.objectContaining({ name: 'DriftError', code: 'INVALID_INPUT' }),
    );
  });
});
