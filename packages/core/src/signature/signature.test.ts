import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isMlopsError, MlopsError } from '../errors.js';
import {
  createInputValidator,
  inferSignature,
  parseSignature,
  type SignatureInput,
  signatureToJsonSchema,
  signatureToZod,
  validateInputs,
} from './signature.js';

const sig: SignatureInput = {
  inputs: [
    { name: 'age', type: 'float64' },
    { name: 'city', type: 'string' },
    { name: 'visits', type: 'int32', optional: true },
    { name: 'flag', type: 'bool', optional: true },
    { name: 'emb', type: 'float32', shape: [3], optional: true },
    { name: 'big', type: 'int64', optional: true },
  ],
  outputs: [{ name: 'score', type: 'float32' }],
};

function issuesOf(body: unknown) {
  try {
    validateInputs(sig, body);
  } catch (err) {
    if (isMlopsError(err, 'INVALID_INPUT')) return err.details;
    throw err;
  }
  throw new Error('expected INVALID_INPUT');
}

describe('parseSignature', () => {
  it('fills shape [] and rejects duplicate names and bad types with paths', () => {
    expect(parseSignature({ inputs: [{ name: 'x', type: 'float32' }] })).toEqual({
      inputs: [{ name: 'x', type: 'float32', shape: [] }],
      outputs: [],
    });
    const err = (() => {
      try {
        parseSignature({
          inputs: [
            { name: 'x', type: 'float32' },
            { name: 'x', type: 'complex' },
          ],
        });
      } catch (e) {
        return e as MlopsError;
      }
    })();
    expect(err).toBeInstanceOf(MlopsError);
    expect(err?.code).toBe('INVALID_INPUT');
    const paths = ((err?.details ?? []) as { path: string }[]).map((d) => d.path);
    expect(paths).toContain('inputs[1].type');
  });
});

describe('validateInputs: accepted bodies', () => {
  it('records form gives typed columns, missing optional values as NaN / null', () => {
    const cols = validateInputs(sig, {
      inputs: [
        { age: 31, city: 'Paris', visits: 2, flag: true, emb: [1, 2, 3], big: '9007199254740993' },
        { age: 45.5, city: 'Lyon', visits: null },
      ],
    });
    expect(cols.age).toEqual(new Float64Array([31, 45.5]));
    expect(cols.city).toEqual(['Paris', 'Lyon']);
    expect(cols.visits).toEqual([2, null]);
    expect(cols.flag).toEqual([true, null]);
    expect(cols.emb).toEqual([new Float32Array([1, 2, 3]), null]);
    expect(cols.big).toEqual([9007199254740993n, null]);
  });

  it('columns form gives the same columns; an absent optional column is filled with missing values', () => {
    const cols = validateInputs(sig, { inputs: { age: [1, 2], city: ['a', 'b'], visits: [3, 4], big: [1, 2] } });
    expect(cols.age).toBeInstanceOf(Float64Array);
    expect(cols.visits).toEqual(new Int32Array([3, 4]));
    expect(cols.big).toEqual(new BigInt64Array([1n, 2n]));
    expect(cols.flag).toEqual([null, null]);
    expect(cols.emb).toEqual([null, null]);
  });

  it('float32 inputs become Float32Array with NaN for null', () => {
    const s = { inputs: [{ name: 'x', type: 'float32' as const, optional: true }] };
    const cols = validateInputs(s, { inputs: { x: [1.5, null] } });
    expect(cols.x).toBeInstanceOf(Float32Array);
    expect(Array.from(cols.x as Float32Array)).toEqual([1.5, Number.NaN]);
  });
});

describe('validateInputs: field-level errors', () => {
  it.each([
    ['no inputs', {}, 'inputs'],
    ['inputs not an object', { inputs: 3 }, 'inputs'],
    ['wrong type in a record', { inputs: [{ age: 1, city: 'a' }, {}, {}, { age: 'old', city: 'b' }] }, 'inputs[3].age'],
    ['missing required field', { inputs: [{ age: 1 }] }, 'inputs[0].city'],
    ['unknown field', { inputs: [{ age: 1, city: 'a', colour: 'red' }] }, 'inputs[0].colour'],
    ['int32 not an integer', { inputs: [{ age: 1, city: 'a', visits: 1.5 }] }, 'inputs[0].visits'],
    ['int32 out of range', { inputs: [{ age: 1, city: 'a', visits: 2 ** 31 }] }, 'inputs[0].visits'],
    ['bad tensor length', { inputs: [{ age: 1, city: 'a', emb: [1, 2] }] }, 'inputs[0].emb'],
    ['bad tensor element', { inputs: [{ age: 1, city: 'a', emb: [1, 'x', 3] }] }, 'inputs[0].emb[1]'],
    ['int64 beyond range', { inputs: [{ age: 1, city: 'a', big: '9223372036854775808' }] }, 'inputs[0].big'],
    ['int64 string not digits', { inputs: [{ age: 1, city: 'a', big: 'x' }] }, 'inputs[0].big'],
    ['int64 string with a fraction', { inputs: [{ age: 1, city: 'a', big: '1.5' }] }, 'inputs[0].big'],
    ['int64 column string not digits', { inputs: { age: [1], city: ['a'], big: ['12e3'] } }, 'inputs.big[0]'],
    ['empty records', { inputs: [] }, 'inputs'],
    ['columns of unequal length', { inputs: { age: [1, 2], city: ['a'] } }, 'inputs.city'],
    ['wrong type in a column', { inputs: { age: [1, 'x'], city: ['a', 'b'] } }, 'inputs.age[1]'],
    ['required column missing', { inputs: { age: [1] } }, 'inputs.city'],
  ])('%s → %s', (_name, body, path) => {
    const details = issuesOf(body) as { path: string; message: string }[];
    expect(details.map((d) => d.path)).toContain(path);
    for (const d of details) expect(d.message.length).toBeGreaterThan(0);
  });

  it('the message names the failing path', () => {
    expect(() => validateInputs(sig, { inputs: [{ age: 'x', city: 'a' }] })).toThrow(/inputs\[0\]\.age/);
  });

  it('maxRows caps the batch', () => {
    expect(() => validateInputs(sig, { inputs: { age: [1, 2], city: ['a', 'b'] } }, { maxRows: 1 })).toThrow(
      MlopsError,
    );
  });
});

describe('signatureToZod / signatureToJsonSchema', () => {
  it('record validator accepts one record and rejects extras', () => {
    const { record, batch, request } = signatureToZod(sig);
    expect(record.safeParse({ age: 1, city: 'x' }).success).toBe(true);
    expect(record.safeParse({ age: 1, city: 'x', y: 1 }).success).toBe(false);
    expect(batch.safeParse([{ age: 1, city: 'x' }]).success).toBe(true);
    expect(batch.safeParse({ age: [1], city: ['x'] }).success).toBe(true);
    expect(request.safeParse({ inputs: { age: [1], city: ['x'] } }).success).toBe(true);
  });

  it('outputs side validates outputs', () => {
    const { columns } = signatureToZod(sig, { part: 'outputs' });
    expect(columns.safeParse({ score: [0.5] }).success).toBe(true);
    expect(columns.safeParse({ score: ['high'] }).success).toBe(false);
  });

  it('JSON Schema mirrors the signature', () => {
    const js = signatureToJsonSchema(sig);
    const rec = js.record as { type: string; properties: Record<string, Record<string, unknown>>; required: string[] };
    expect(rec.type).toBe('object');
    expect(rec.required.sort()).toEqual(['age', 'city']);
    expect(rec.properties.age?.type).toBe('number');
    expect(rec.properties.visits).toMatchObject({
      anyOf: [{ type: 'integer', maximum: 2147483647 }, { type: 'null' }],
    });
    expect(JSON.stringify(rec.properties.emb)).toContain('"minItems":3');
    const req = js.request as { properties: { inputs: { anyOf: unknown[] } } };
    expect(req.properties.inputs.anyOf).toHaveLength(2);
    // The JSON Schema is plain JSON.
    expect(JSON.parse(JSON.stringify(js))).toEqual(js);
    expect(z.toJSONSchema).toBeTypeOf('function');
  });
});

describe('inferSignature', () => {
  it.each([
    ['Float32Array', new Float32Array([1, 2]), { type: 'float32', shape: [] }],
    ['Int32Array', new Int32Array([1, 2]), { type: 'int32', shape: [] }],
    ['BigInt64Array', new BigInt64Array([1n]), { type: 'int64', shape: [] }],
    ['numbers', [1, 2.5], { type: 'float64', shape: [] }],
    ['numbers with null', [1, null], { type: 'float64', shape: [], optional: true }],
    ['numbers with NaN', [1, Number.NaN], { type: 'float64', shape: [], optional: true }],
    ['strings', ['a', 'b'], { type: 'string', shape: [] }],
    ['booleans', [true, false], { type: 'bool', shape: [] }],
    [
      'fixed vectors',
      [
        [1, 2],
        [3, 4],
      ],
      { type: 'float64', shape: [2] },
    ],
    ['ragged vectors', [[1, 2], [3]], { type: 'float64', shape: [-1] }],
    ['typed rows', [new Float32Array(3), new Float32Array(3)], { type: 'float32', shape: [3] }],
    ['matrices', [[[1], [2]]], { type: 'float64', shape: [2, 1] }],
  ])('%s', (_name, col, expected) => {
    const s = inferSignature({ x: col as never });
    expect(s.inputs).toEqual([{ name: 'x', ...expected }]);
  });

  it('infers outputs and round-trips through validateInputs', () => {
    const s = inferSignature({ a: [1, 2], b: ['x', 'y'] }, { p: new Float32Array([0.1, 0.9]) });
    expect(s.outputs).toEqual([{ name: 'p', type: 'float32', shape: [] }]);
    expect(validateInputs(s, { inputs: { a: [1, 2], b: ['x', 'y'] } }).a).toEqual(new Float64Array([1, 2]));
  });

  it.each([
    ['mixed numbers and strings', [1, 'a']],
    ['only missing values', [null, null]],
    ['objects', [{ a: 1 }]],
  ])('rejects %s', (_name, col) => {
    expect(() => inferSignature({ x: col })).toThrow(MlopsError);
  });
});

describe('createInputValidator', () => {
  it('validates like validateInputs, with the schemas built once', () => {
    const validate = createInputValidator(sig, { maxRows: 2 });
    const body = {
      inputs: [
        { age: 31, city: 'Paris' },
        { age: 45, city: 'Lyon', visits: 2 },
      ],
    };
    expect(validate(body)).toEqual(validateInputs(sig, body));
    expect(validate({ inputs: { age: [1], city: ['x'] } }).age).toEqual(new Float64Array([1]));
    expect(() => validate({ inputs: [{ age: 'old', city: 'Paris' }] })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', details: [expect.objectContaining({ path: 'inputs[0].age' })] }),
    );
    expect(() =>
      validate({
        inputs: [
          { age: 1, city: 'a' },
          { age: 2, city: 'b' },
          { age: 3, city: 'c' },
        ],
      }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('createInputValidator raw inputs and path prefix', () => {
  it('takes the inputs without the { inputs } wrapper and prefixes field paths', () => {
    const validate = createInputValidator(sig, { raw: true, path: 'instances', maxRows: 2 });
    expect(validate([{ age: 31, city: 'Paris' }]).age).toEqual(new Float64Array([31]));
    expect(() => validate([{ age: 'old', city: 'Paris' }])).toThrow(
      expect.objectContaining({ details: [expect.objectContaining({ path: 'instances[0].age' })] }),
    );
    expect(() => validate('nope')).toThrow(
      expect.objectContaining({ details: [expect.objectContaining({ path: 'instances' })] }),
    );
  });

  it('lets one call override the path and maxRows, and splits dotted paths into segments', () => {
    const validate = createInputValidator(sig, { raw: true });
    expect(() => validate({ age: ['x'], city: ['a'] }, { path: 'body.inputs' })).toThrow(
      expect.objectContaining({ details: [expect.objectContaining({ path: 'body.inputs.age[0]' })] }),
    );
    const three = { age: [1, 2, 3], city: ['a', 'b', 'c'] };
    expect(validate(three).age).toHaveLength(3);
    expect(() => validate(three, { maxRows: 2 })).toThrow(
      expect.objectContaining({ message: expect.stringContaining('At most 2 rows') }),
    );
  });
});
