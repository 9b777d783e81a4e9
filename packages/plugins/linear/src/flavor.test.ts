import { isMlopsError, type Signature } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import {
  decodeLinearModel,
  encodeLinearModel,
  LINEAR_HEADER_FILE,
  LINEAR_WEIGHTS_FILE,
  linearFlavor,
  linearOutputSignature,
} from './flavor.js';
import { linearModel } from './model.js';

const model = linearModel({
  kind: 'multinomial',
  classes: ['bearing', 'motor', 'sensor'],
  coef: Float64Array.from([0.1, -2.5e-300, 3, Math.PI, -0, 1e300]),
  intercept: Float64Array.from([-1 / 3, 0, 1 / 3]),
  nFeatures: 2,
  info: { nIter: 12, converged: true, loss: 0.25 },
});

describe('linear flavor files', () => {
  it('round-trips coefficients bit for bit (float64 little-endian) with a JSON header', () => {
    const files = encodeLinearModel(model);
    expect(files[LINEAR_WEIGHTS_FILE]!.byteLength).toBe((6 + 3) * 8);
    const view = new DataView(files[LINEAR_WEIGHTS_FILE]!.buffer);
    expect(view.getFloat64(3 * 8, true)).toBe(Math.PI);
    const header = JSON.parse(new TextDecoder().decode(files[LINEAR_HEADER_FILE]));
    expect(header).toMatchObject({ modelKind: 'multinomial', classes: model.classes, nFeatures: 2, rows: 3 });
    const back = decodeLinearModel(files);
    expect(Array.from(back.coef)).toEqual(Array.from(model.coef));
    expect(Object.is(back.coef[4], -0)).toBe(true);
    expect(Array.from(back.intercept)).toEqual(Array.from(model.intercept));
    expect(back.classes).toEqual(model.classes);
    expect(back.info).toEqual(model.info);
  });

  it('refuses a truncated weights file or a header that does not match', () => {
    const files = encodeLinearModel(model);
    const short = { ...files, [LINEAR_WEIGHTS_FILE]: files[LINEAR_WEIGHTS_FILE]!.subarray(0, 64) };
    expect(() => decodeLinearModel(short)).toThrow(/has 64 bytes, expected 72/);
    const header = JSON.parse(new TextDecoder().decode(files[LINEAR_HEADER_FILE]));
    const wrongRows = new TextEncoder().encode(JSON.stringify({ ...header, rows: 1 }));
    expect(() => decodeLinearModel({ ...files, [LINEAR_HEADER_FILE]: wrongRows })).toThrow(/has 3 rows/);
    const unknown = new TextEncoder().encode(JSON.stringify({ ...header, extra: true }));
    const err = (() => {
      try {
        decodeLinearModel({ ...files, [LINEAR_HEADER_FILE]: unknown });
      } catch (e) {
        return e;
      }
    })();
    expect(isMlopsError(err, 'INVALID_INPUT')).toBe(true);
    expect(() => decodeLinearModel({ [LINEAR_HEADER_FILE]: files[LINEAR_HEADER_FILE]! })).toThrow(
      /no coefficients.bin/,
    );
  });

  it('loads a predictor returning label and probabilities for a CSR batch', async () => {
    const flavor = linearFlavor();
    const saved = await flavor.save(model);
    expect(saved.config).toEqual({ format: 1, nFeatures: 2, nClasses: 3, modelKind: 'multinomial' });
    const signature: Signature = {
      inputs: [{ name: 'text', type: 'string', shape: [] }],
      outputs: linearOutputSignature(model).map((f) => ({ shape: [], ...f })),
    };
    const predictor = await flavor.load(saved, { signature, preprocessed: true });
    expect(predictor.batchable).toBe(true);
    const csr = {
      nRows: 2,
      nCols: 2,
      indptr: Int32Array.from([0, 1, 1]),
      indices: Int32Array.from([1]),
      values: Float64Array.from([1]),
    };
    const out = await predictor.predict(csr);
    expect(Object.keys(out)).toEqual(['label', 'probabilities']);
    expect(out.label).toEqual(model.predict(csr));
    expect(out.probabilities).toEqual(model.predictProba(csr));
  });

  it('describes its outputs for the signature', () => {
    expect(linearOutputSignature(model)).toEqual([
      { name: 'label', type: 'string', description: 'Most probable class' },
      {
        name: 'probabilities',
        type: 'float64',
        shape: [3],
        description: 'Class probabilities in the order ["bearing","motor","sensor"]',
      },
    ]);
    expect(linearOutputSignature({ classes: [0, 1] })[0]!.type).toBe('float64');
  });
});
