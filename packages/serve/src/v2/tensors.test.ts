import { isMlopsError, type Signature } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { datatypeOf, decodeTensors, encodeTensors, v2InferRequestSchema } from './tensors.js';

const signature: Signature = {
  inputs: [
    { name: 'age', type: 'float64', shape: [] },
    { name: 'city', type: 'string', shape: [] },
    { name: 'pixels', type: 'float32', shape: [2] },
  ],
  outputs: [
    { name: 'score', type: 'float64', shape: [] },
    { name: 'label', type: 'string', shape: [] },
    { name: 'probs', type: 'float64', shape: [2] },
  ],
};

/** The field issues of the INVALID_INPUT error `fn` throws. */
function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    if (isMlopsError(err) && err.code === 'INVALID_INPUT') return err.details as { path: string; message: string }[];
    throw err;
  }
  throw new Error('expected INVALID_INPUT');
}

const good = [
  { name: 'age', shape: [2], datatype: 'FP64' as const, data: [30, 41.5] },
  { name: 'city', shape: [2], datatype: 'BYTES' as const, data: ['Lyon', 'Oslo'] },
  { name: 'pixels', shape: [2, 2], datatype: 'FP32' as const, data: [0.5, 1, 0, 0.25] },
];

describe('datatypeOf', () => {
  it.each([
    ['float32', 'FP32'],
    ['float64', 'FP64'],
    ['int8', 'INT8'],
    ['int16', 'INT16'],
    ['int32', 'INT32'],
    ['int64', 'INT64'],
    ['uint8', 'UINT8'],
    ['bool', 'BOOL'],
    ['string', 'BYTES'],
  ] as const)('%s → %s', (type, datatype) => {
    expect(datatypeOf(type)).toBe(datatype);
  });
});

describe('decodeTensors', () => {
  it('decodes row-major tensors into columns, dimension 0 being the batch', () => {
    const cols = decodeTensors(signature, good);
    expect(Array.from(cols.age as ArrayLike<number>)).toEqual([30, 41.5]);
    expect(cols.city).toEqual(['Lyon', 'Oslo']);
    expect((cols.pixels as ArrayLike<ArrayLike<number>>)[1]).toEqual(expect.objectContaining({ 0: 0, 1: 0.25 }));
  });

  it('accepts nested data and a scalar field given as [n, 1]', () => {
    const cols = decodeTensors(signature, [
      { name: 'age', shape: [2, 1], datatype: 'FP64', data: [[30], [41.5]] },
      good[1]!,
      {
        name: 'pixels',
        shape: [2, 2],
        datatype: 'FP32',
        data: [
          [0.5, 1],
          [0, 0.25],
        ],
      },
    ]);
    expect(Array.from(cols.age as ArrayLike<number>)).toEqual([30, 41.5]);
  });

  it.each([
    ['an unknown tensor name', [{ ...good[0]!, name: 'agee' }, good[1]!, good[2]!], 'inputs[0].name'],
    ['a duplicate tensor', [good[0]!, good[0]!, good[1]!, good[2]!], 'inputs[1].name'],
    [
      'a datatype the field cannot take',
      [{ ...good[0]!, datatype: 'BYTES' as const }, good[1]!, good[2]!],
      'inputs[0].datatype',
    ],
    ['a shape that does not match the data', [{ ...good[0]!, shape: [3] }, good[1]!, good[2]!], 'inputs[0]'],
    [
      'a batch size that differs between tensors',
      [{ ...good[0]!, shape: [1], data: [30] }, good[1]!, good[2]!],
      'inputs[',
    ],
    ['an element of the wrong type', [{ ...good[0]!, data: [30, 'old'] }, good[1]!, good[2]!], 'inputs[0].data[1]'],
    ['a missing input', [good[0]!, good[1]!], 'inputs'],
  ])('refuses %s with a field path', (_what, tensors, path) => {
    const issues = issuesOf(() => decodeTensors(signature, tensors));
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.some((i) => i.path.startsWith(path))).toBe(true);
  });

  it('refuses an empty batch', () => {
    const issues = issuesOf(() =>
      decodeTensors(signature, [
        { ...good[0]!, shape: [0], data: [] },
        { ...good[1]!, shape: [0], data: [] },
        { ...good[2]!, shape: [0, 2], data: [] },
      ]),
    );
    expect(issues).toEqual([{ path: 'inputs[0].shape[0]', message: 'Expected at least one row' }]);
  });

  it('maps the validator’s column paths back to tensor paths (maxRows)', () => {
    const issues = issuesOf(() => decodeTensors(signature, good, { maxRows: 1 }));
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]!.path).toMatch(/^inputs/);
  });
});

describe('encodeTensors', () => {
  it('encodes columns as [rows, ...row shape] tensors, datatype from the signature', () => {
    const tensors = encodeTensors(signature, {
      score: Float64Array.of(0.25, 0.75),
      label: ['no', 'yes'],
      probs: [
        [0.75, 0.25],
        [0.25, 0.75],
      ],
    });
    expect(tensors).toEqual([
      { name: 'score', shape: [2], datatype: 'FP64', data: [0.25, 0.75] },
      { name: 'label', shape: [2], datatype: 'BYTES', data: ['no', 'yes'] },
      { name: 'probs', shape: [2, 2], datatype: 'FP64', data: [0.75, 0.25, 0.25, 0.75] },
    ]);
  });

  it('keeps only the requested outputs, in the requested order', () => {
    const tensors = encodeTensors(signature, { score: Float64Array.of(1), label: ['yes'] }, ['label']);
    expect(tensors.map((t) => t.name)).toEqual(['label']);
  });

  it('infers the datatype of an output the signature does not list', () => {
    const [t] = encodeTensors({ inputs: [], outputs: [] }, { extra: Int32Array.of(1, 2) });
    expect(t).toEqual({ name: 'extra', shape: [2], datatype: 'INT32', data: [1, 2] });
  });

  it('refuses rows of different shapes', () => {
    expect(() => encodeTensors(signature, { probs: [[1, 2], [3]] })).toThrow(/rows of different shapes/);
  });

  it('round-trips through the request schema and decodeTensors', () => {
    const body = v2InferRequestSchema.parse({ inputs: good });
    expect(decodeTensors(signature, body.inputs).city).toEqual(['Lyon', 'Oslo']);
  });
});
