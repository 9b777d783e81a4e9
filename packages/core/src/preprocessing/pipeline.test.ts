import { describe, expect, it } from 'vitest';
import { isMlopsError } from '../errors.js';
import { columnDropper } from './column-dropper.js';
import { denseMatrix } from './dense-matrix.js';
import { hashingVectorizer } from './hashing-vectorizer.js';
import { imputer } from './imputer.js';
import { oneHotEncoder } from './one-hot-encoder.js';
import { loadPreprocessingPipeline, loadTransformer, preprocessingPipeline } from './pipeline.js';
import { standardScaler } from './standard-scaler.js';
import { tfidfVectorizer } from './tfidf-vectorizer.js';
import type { CsrMatrix, DenseMatrix, Frame } from './types.js';

// A small SECOM-like frame: sensors with gaps, a dead sensor, a constant one, and a categorical tool id.
function sensors(n: number, seed: number): Frame {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const col = (f: () => number, missing: number) => Array.from({ length: n }, () => (rnd() < missing ? null : f()));
  return {
    s1: col(() => 100 + rnd() * 10, 0.1),
    s2: col(() => rnd() * 0.01, 0.2),
    dead: col(() => 1, 0.9),
    flat: Array.from({ length: n }, () => 42),
    tool: Array.from({ length: n }, () => ['t1', 't2', 't3'][Math.floor(rnd() * 3)]!),
  };
}

const numericPipeline = () =>
  preprocessingPipeline<DenseMatrix>([
    columnDropper(),
    imputer({ strategy: 'median', columns: ['s1', 's2'] }),
    standardScaler(),
    oneHotEncoder({ handleUnknown: 'ignore' }),
    denseMatrix(),
  ]);

describe('preprocessingPipeline', () => {
  it('fits each step on the previous step’s training output only', () => {
    const train = sensors(200, 1);
    const { fitted, output } = numericPipeline().fitTransform(train);
    expect(output.columns).toEqual(['s1', 's2', 'tool_t1', 'tool_t2', 'tool_t3']);
    expect(output.nRows).toBe(200);
    // The scaler saw imputed, training-only data: its output has mean ≈ 0 on train …
    let m = 0;
    for (let i = 0; i < 200; i++) m += output.data[i * 5]!;
    expect(Math.abs(m / 200)).toBeLessThan(1e-12);
    // … and new data is scaled with the training statistics, not refitted.
    const shifted = sensors(50, 2);
    shifted.s1 = shifted.s1!.map((v) => (v === null ? null : (v as number) + 1000));
    const out = fitted.transform(shifted);
    const i = shifted.s1!.findIndex((v) => v !== null);
    expect(out.data[i * 5]).toBeGreaterThan(100);
  });

  it('round-trips through one JSON document with bit-identical output on new data', () => {
    const fitted = numericPipeline().fit(sensors(300, 3));
    const text = JSON.stringify(fitted.toJSON());
    const loaded = loadPreprocessingPipeline<DenseMatrix>(JSON.parse(text));
    const fresh = sensors(120, 4);
    fresh.tool![5] = 'unseen';
    const a = fitted.transform(fresh);
    const b = loaded.transform(fresh);
    expect(b.columns).toEqual(a.columns);
    expect(Buffer.from(b.data.buffer).equals(Buffer.from(a.data.buffer))).toBe(true);
    expect(JSON.stringify(loaded.toJSON())).toBe(text);
    // loadTransformer dispatches on kind, and accepts the JSON string itself.
    expect(Buffer.from((loadTransformer(text).transform(fresh) as DenseMatrix).data.buffer)).toEqual(
      Buffer.from(a.data.buffer),
    );
  });

  it('ends a text pipeline in a sparse vectorizer and round-trips it', () => {
    const train = { text: ['vpn is down', 'printer jammed', 'reset my password', 'vpn certificate expired'] };
    for (const vec of [tfidfVectorizer({ ngramRange: [1, 2] }), hashingVectorizer({ nFeatures: 256 })]) {
      const fitted = preprocessingPipeline<CsrMatrix>([imputer({ strategy: 'constant', fillValue: '' }), vec]).fit(
        train,
      );
      const loaded = loadPreprocessingPipeline<CsrMatrix>(JSON.parse(JSON.stringify(fitted)));
      const fresh = { text: ['VPN down again', null, 'new printer'] };
      expect(loaded.transform(fresh)).toEqual(fitted.transform(fresh));
      expect(fitted.transform(fresh).indptr[3]).toBeGreaterThan(0);
    }
  });

  it('refuses a matrix in the middle of a pipeline', () => {
    const p = preprocessingPipeline([tfidfVectorizer(), standardScaler()]);
    expect(() => p.fit({ t: ['vpn down', 'printer jam'] })).toThrow(/only the last step|needs a frame/i);
  });

  it('refuses unknown kinds, versions and tampered states with INVALID_INPUT', () => {
    const fitted = numericPipeline().fit(sensors(50, 5));
    const json = fitted.toJSON();
    const cases: unknown[] = [
      { kind: 'mlops.core/unknown', schemaVersion: 1 },
      { ...json, schemaVersion: 2 },
      { ...json, steps: [{ ...json.steps[0], kept: 'all' }] },
      '{not json',
      null,
    ];
    for (const c of cases) {
      try {
        loadTransformer(c);
        expect.unreachable();
      } catch (e) {
        expect(isMlopsError(e, 'INVALID_INPUT')).toBe(true);
      }
    }
    expect(() => loadTransformer({ kind: 'mlops.core/unknown', schemaVersion: 1 })).toThrow(/unknown transformer kind/);
    expect(() => loadPreprocessingPipeline(json.steps[0])).toThrow(/kind/);
  });
});
