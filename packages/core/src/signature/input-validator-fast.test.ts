import { describe, expect, it } from 'vitest';
import { isMlopsError } from '../errors.js';
import { mulberry32 } from '../random.js';
import {
  compileFastInputCheck,
  createInputValidator,
  createZodInputValidator,
  type FieldType,
  type InputValidator,
  parseSignature,
  type SignatureInput,
  signatureToZod,
} from './signature.js';

const ALL_TYPES: FieldType[] = ['float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'bool', 'string'];

const SIGNATURES: Record<string, SignatureInput> = {
  required: { inputs: ALL_TYPES.map((type) => ({ name: `r_${type}`, type })) },
  optional: { inputs: ALL_TYPES.map((type) => ({ name: `o_${type}`, type, optional: true })) },
  mixed: {
    inputs: [
      { name: 'age', type: 'float64' },
      { name: 'income', type: 'float64' },
      { name: 'city', type: 'string' },
      { name: 'visits', type: 'int8', optional: true },
      { name: 'flag', type: 'bool', optional: true },
      { name: 'score', type: 'float32', optional: true },
      { name: 'big', type: 'int64' },
      { name: 'level', type: 'uint8', optional: true },
    ],
  },
  single: { inputs: [{ name: 'x', type: 'int16', optional: true }] },
};

const STRINGS = ['', 'Lyon', 'héllo wörld', '😀 ok', 'a b\tc\n', '\uD83D\uDE00'];
const BAD_STRINGS = ['a\u0000b', '\u0000', '\uD800', 'x\uDC00y', 'ab\uD83D'];

function validValue(type: FieldType, rnd: () => number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = (min: number, max: number) => {
    const r = rnd();
    if (r < 0.1) return min;
    if (r < 0.2) return max;
    if (r < 0.25) return -0;
    return min + Math.floor(rnd() * (max - min + 1));
  };
  switch (type) {
    case 'float32':
      return pick([0, -1.5, 3.4028234663852886e38, -3.4028234663852886e38, 1e-45, (rnd() - 0.5) * 1e6]);
    case 'float64':
      return pick([0, -0, Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324, (rnd() - 0.5) * 1e12, 51000]);
    case 'int8':
      return int(-128, 127);
    case 'int16':
      return int(-32768, 32767);
    case 'int32':
      return int(-2147483648, 2147483647);
    case 'uint8':
      return int(0, 255);
    case 'int64':
      return pick([0, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, int(-1e9, 1e9)]);
    case 'bool':
      return rnd() < 0.5;
    case 'string':
      return pick(STRINGS);
  }
}

function invalidValue(type: FieldType, rnd: () => number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const common = [
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    {},
    [],
    [validValue(type, rnd)],
    [[1]],
    { value: 1 },
    new Date(0),
    1n,
  ];
  const byType: Record<FieldType, unknown[]> = {
    float32: ['1', true, 3.5e38, -3.5e38, 1e300, Number.MAX_VALUE],
    float64: ['1.5', false, '51000'],
    int8: [128, -129, 1.5, 127.5, 1e300, '1', true],
    int16: [32768, -32769, 0.1, '7'],
    int32: [2147483648, -2147483649, 2 ** 53, 1.5, '3'],
    uint8: [-1, 256, 1.5, '2'],
    int64: [1.5, 2 ** 53, -(2 ** 53), '123', '-9223372036854775808', '9223372036854775808', 'x', true],
    bool: [0, 1, 'true', 'false'],
    string: [...BAD_STRINGS, 5, true],
  };
  return pick([...common, ...byType[type]]);
}

type Field = { name: string; type: FieldType; optional?: boolean };

function mutateRecord(fields: Field[], rec: Record<string, unknown>, rnd: () => number): unknown {
  const f = fields[Math.floor(rnd() * fields.length)]!;
  const r = rnd();
  if (r < 0.35) return { ...rec, [f.name]: invalidValue(f.type, rnd) };
  if (r < 0.45) return { ...rec, [f.name]: null };
  if (r < 0.52) return { ...rec, [f.name]: undefined };
  if (r < 0.6) {
    const copy = { ...rec };
    delete copy[f.name];
    return copy;
  }
  if (r < 0.68) return { ...rec, extra: 1 };
  if (r < 0.76) {
    // An own "__proto__" key, as JSON.parse makes it.
    const inner = JSON.stringify(rec).slice(1, -1);
    return JSON.parse(`{"__proto__":${rnd() < 0.5 ? '{"x":1}' : '5'}${inner ? `,${inner}` : ''}}`);
  }
  if (r < 0.8) return Object.assign(Object.create(null), rec);
  if (r < 0.84) return Object.assign(Object.create({ inherited: 1 }), rec);
  if (r < 0.88) return [rec];
  if (r < 0.92) return null;
  if (r < 0.96) return 'record';
  return { ...rec, [f.name]: [rec[f.name]] };
}

function randomRecords(fields: Field[], rnd: () => number, mutate: boolean): unknown {
  const n = 1 + Math.floor(rnd() * 4);
  const recs: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const rec: Record<string, unknown> = {};
    for (const f of fields) {
      if (f.optional) {
        const r = rnd();
        if (r < 0.15) continue;
        if (r < 0.25) {
          rec[f.name] = null;
          continue;
        }
        if (r < 0.3) {
          rec[f.name] = undefined;
          continue;
        }
      }
      rec[f.name] = validValue(f.type, rnd);
    }
    recs.push(rec);
  }
  if (!mutate) return recs;
  const r = rnd();
  if (r < 0.05) return [];
  if (r < 0.1) return [recs];
  if (r < 0.13) return [...recs, undefined];
  const i = Math.floor(rnd() * recs.length);
  recs[i] = mutateRecord(fields, recs[i] as Record<string, unknown>, rnd);
  return recs;
}

function randomColumns(fields: Field[], rnd: () => number, mutate: boolean): unknown {
  const n = 1 + Math.floor(rnd() * 4);
  const cols: Record<string, unknown> = {};
  for (const f of fields) {
    if (f.optional && rnd() < 0.2) continue;
    cols[f.name] = Array.from({ length: n }, () => (f.optional && rnd() < 0.2 ? null : validValue(f.type, rnd)));
  }
  // All columns optional and all left out: that is "at least one column" missing, which mutate=false must not make.
  if (!mutate && Object.keys(cols).length === 0) cols[fields[0]!.name] = [validValue(fields[0]!.type, rnd)];
  if (!mutate) return cols;
  const f = fields[Math.floor(rnd() * fields.length)]!;
  const col = cols[f.name] as unknown[] | undefined;
  const r = rnd();
  if (r < 0.3 && col) {
    const copy = [...col];
    copy[Math.floor(rnd() * copy.length)] = rnd() < 0.25 ? null : invalidValue(f.type, rnd);
    return { ...cols, [f.name]: copy };
  }
  if (r < 0.4) return { ...cols, [f.name]: [] };
  if (r < 0.5) return { ...cols, [f.name]: [...(col ?? []), validValue(f.type, rnd)] };
  if (r < 0.55) return { ...cols, [f.name]: col?.slice(1) };
  if (r < 0.6) {
    const copy = { ...cols };
    delete copy[f.name];
    return copy;
  }
  if (r < 0.65) return { ...cols, extra: [1] };
  if (r < 0.7) {
    const inner = JSON.stringify(cols).slice(1, -1);
    return JSON.parse(`{"__proto__":[1]${inner ? `,${inner}` : ''}}`);
  }
  if (r < 0.75) return { ...cols, [f.name]: col ? [col] : [[1]] };
  if (r < 0.8) return { ...cols, [f.name]: null };
  if (r < 0.85) return { ...cols, [f.name]: validValue(f.type, rnd) };
  if (r < 0.88) return {};
  if (r < 0.92) return Object.assign(Object.create({ inherited: [1] }), cols);
  if (r < 0.96) return { ...cols, [f.name]: col ? new Array(col.length) : undefined };
  return Object.assign(Object.create(null), cols);
}

type Outcome = { ok: true; value: unknown } | { ok: false; code: string; message: string; details: unknown };

// Every refusal is an MlopsError (INVALID_INPUT with paths): anything else thrown (a SyntaxError from BigInt() on an
// int64 string that is not digits, as before the regex check aborted) would reach a client as a 500, and fails here.
function outcome(validate: InputValidator, body: unknown, overrides?: { maxRows?: number }): Outcome {
  try {
    return { ok: true, value: validate(body, overrides) };
  } catch (err) {
    if (isMlopsError(err)) return { ok: false, code: err.code, message: err.message, details: err.details };
    throw err;
  }
}

function zodAccepts(schema: { safeParse(v: unknown): { success: boolean } }, v: unknown): boolean {
  try {
    return schema.safeParse(v).success;
  } catch {
    return false;
  }
}

describe('createInputValidator fast path (fuzz)', () => {
  for (const [label, sigInput] of Object.entries(SIGNATURES)) {
    it(`agrees with zod on random valid and broken inputs: ${label}`, () => {
      const sig = parseSignature(sigInput);
      const fields = sig.inputs as Field[];
      const fast = compileFastInputCheck(sig);
      expect(fast).toBeDefined();
      const zod = signatureToZod(sig);
      const viaFast = createInputValidator(sig);
      const viaZod = createZodInputValidator(sig);
      const rawFast = createInputValidator(sig, { raw: true, path: 'instances' });
      const rawZod = createZodInputValidator(sig, { raw: true, path: 'instances' });
      const rnd = mulberry32(0x5eed ^ label.length);
      let accepted = 0;
      let zodAccepted = 0;
      const RUNS = 4000;
      for (let run = 0; run < RUNS; run++) {
        const mutate = rnd() < 0.6;
        const inputs = rnd() < 0.5 ? randomRecords(fields, rnd, mutate) : randomColumns(fields, rnd, mutate);
        const fastOk = fast!(inputs);
        const zodOk = zodAccepts(Array.isArray(inputs) ? zod.records : zod.columns, inputs);
        if (fastOk) {
          accepted++;
          // Never accept what zod refuses.
          expect(zodOk, JSON.stringify(inputs)).toBe(true);
        }
        if (zodOk) zodAccepted++;
        // A valid input is accepted by the fast path unless it uses what it leaves to zod (int64 strings).
        if (!mutate && !fastOk) throw new Error(`fast path refused a plain valid input: ${JSON.stringify(inputs)}`);
        const maxRows = rnd() < 0.2 ? 2 : undefined;
        expect(outcome(viaFast, { inputs }, { maxRows })).toEqual(outcome(viaZod, { inputs }, { maxRows }));
        expect(outcome(rawFast, inputs)).toEqual(outcome(rawZod, inputs));
      }
      // The fuzz covers both sides: many accepted, many refused.
      expect(accepted).toBeGreaterThan(RUNS * 0.4);
      expect(zodAccepted - accepted).toBeLessThan(RUNS * 0.2);
      expect(RUNS - zodAccepted).toBeGreaterThan(RUNS * 0.3);
    });
  }
});

describe('createInputValidator fast path', () => {
  const sig: SignatureInput = {
    inputs: [
      { name: 'age', type: 'float64' },
      { name: 'income', type: 'float64' },
      { name: 'city', type: 'string' },
    ],
  };

  it('takes the fast path for a plain valid request', () => {
    const fast = compileFastInputCheck(parseSignature(sig))!;
    expect(fast).toBeTypeOf('function');
    const body = { inputs: [{ age: 42, income: 51000, city: 'Lyon' }] };
    expect(fast(body.inputs)).toBe(true);
    expect(fast({ age: [42, 30], income: [51000, 0], city: ['Lyon', 'Paris'] })).toBe(true);
    expect(createInputValidator(sig)(body)).toEqual({
      age: Float64Array.from([42]),
      income: Float64Array.from([51000]),
      city: ['Lyon'],
    });
  });

  it('leaves anything doubtful to zod, which words the errors', () => {
    const fast = compileFastInputCheck(parseSignature(sig))!;
    expect(fast([{ age: 42, income: 51000, city: 'Ly\u0000on' }])).toBe(false);
    expect(fast([{ age: 42, income: Number.NaN, city: 'Lyon' }])).toBe(false);
    expect(fast([{ age: 42, income: 1, city: 'Lyon', extra: 1 }])).toBe(false);
    expect(fast([])).toBe(false);
    expect(() => createInputValidator(sig)({ inputs: [{ age: 42, income: 1, city: 'Lyon', extra: 1 }] })).toThrow(
      'invalid inputs: inputs[0].extra: Unknown field',
    );
  });

  it('compiles no fast path for tensor fields or names inherited from Object.prototype', () => {
    expect(compileFastInputCheck(parseSignature({ inputs: [{ name: 'emb', type: 'float32', shape: [3] }] }))).toBe(
      undefined,
    );
    expect(compileFastInputCheck(parseSignature({ inputs: [{ name: '__proto__', type: 'float64' }] }))).toBe(undefined);
    expect(compileFastInputCheck(parseSignature({ inputs: [{ name: 'constructor', type: 'float64' }] }))).toBe(
      undefined,
    );
    // Such signatures still validate, through zod.
    expect(
      createInputValidator({ inputs: [{ name: 'emb', type: 'float32', shape: [3] }] })({
        inputs: [{ emb: [1, 2, 3] }],
      }),
    ).toEqual({ emb: [Float32Array.from([1, 2, 3])] });
  });
});
