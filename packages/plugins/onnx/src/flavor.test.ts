import { isMlopsError } from '@mlops/core';
import type { CsrMatrix, DenseMatrix } from '@mlops/core/preprocessing';
import onnxProto from 'onnx-proto';
import { afterEach, describe, expect, it } from 'vitest';
import { attr, DT, graphBuilder, ML_DOMAIN, tensor } from './_internal/graph.js';
import { loadOnnxModel, type OnnxPredictor, onnxFlavor } from './flavor.js';

const W = [
  [0.5, -1, 0.25],
  [1, 0, -0.5],
  [-0.25, 0.75, 0],
  [0, 0.5, 1],
];

/**
 * A model shaped like skl2onnx's LogisticRegression export: input `float_input` [None, 4], outputs `output_label`
 * (int64 class values) and `output_probability` through ZipMap (a sequence of maps, which onnxruntime-node cannot
 * return: the flavor leaves it out).
 */
function sklearnLikeModel(): Uint8Array {
  const b = graphBuilder('skl');
  const x = b.input('float_input', DT.FLOAT, ['None', 4]);
  const z = b.op('MatMul', [x, b.constant('w', tensor.float([4, 3], W.flat()))]);
  const p = b.op('Softmax', [z], { attrs: [attr.int('axis', 1)] });
  const idx = b.op('ArgMax', [p], { attrs: [attr.int('axis', 1), attr.int('keepdims', 0)] });
  b.op('Gather', [b.constant('classes', tensor.int64([3], [10, 20, 30])), idx], { output: 'output_label' });
  b.op('ZipMap', [p], {
    output: 'output_probability',
    domain: ML_DOMAIN,
    attrs: [attr.ints('classlabels_int64s', [10, 20, 30])],
  });
  b.output('output_label', DT.INT64, ['None']);
  const bytes = b.encode({ opsets: { '': 17, [ML_DOMAIN]: 1 } });
  // ZipMap's output is a sequence of maps: patch the value info in (the builder only writes tensors).
  return addSequenceMapOutput(bytes, 'output_probability');
}

function addSequenceMapOutput(bytes: Uint8Array, name: string): Uint8Array {
  const { onnx } = onnxProto;
  const m = onnx.ModelProto.decode(bytes);
  m.graph!.output!.push(
    onnx.ValueInfoProto.create({
      name,
      type: {
        sequenceType: {
          elemType: { mapType: { keyType: DT.INT64, valueType: { tensorType: { elemType: DT.FLOAT } } } },
        },
      },
    }),
  );
  return onnx.ModelProto.encode(m).finish();
}

function expected(rows: number[][]): { labels: number[]; probs: number[][] } {
  const probs = rows.map((r) => {
    const z = [0, 1, 2].map((c) => r.reduce((s, v, j) => s + Math.fround(v) * W[j]![c]!, 0));
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, v) => a + v, 0);
    return e.map((v) => v / s);
  });
  return { labels: probs.map((p) => [10, 20, 30][p.indexOf(Math.max(...p))]!), probs };
}

const ROWS = [
  [1, 2, 3, 4],
  [-1, 0.5, 2, 0],
  [0, 0, 0, 1],
  [3, -2, 1, 0.5],
  [0.1, 0.2, 0.3, 0.4],
];

const open: OnnxPredictor[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

async function load(bytes: Uint8Array, opts = {}) {
  const p = await loadOnnxModel(bytes, opts);
  open.push(p);
  return p;
}

describe('loadOnnxModel (any ONNX model)', () => {
  it('reads the signature from the model: names, types, -1 for dynamic dims, no ZipMap output', async () => {
    const p = await load(sklearnLikeModel());
    expect(p.signature).toEqual({
      inputs: [{ name: 'float_input', type: 'float32', shape: [4] }],
      outputs: [{ name: 'output_label', type: 'float64', shape: [], description: 'Class label' }],
    });
  });

  it('predicts columns (one row array per input), a dense matrix and a CSR matrix alike', async () => {
    const p = await load(sklearnLikeModel());
    const want = expected(ROWS);
    const fromColumns = await p.predict({ float_input: ROWS });
    expect(Array.from(fromColumns.output_label as Float64Array)).toEqual(want.labels);
    const dense: DenseMatrix = {
      columns: ['a', 'b', 'c', 'd'],
      nRows: 5,
      nCols: 4,
      data: Float64Array.from(ROWS.flat()),
    };
    expect(await p.predict(dense)).toEqual(fromColumns);
    const csr: CsrMatrix = {
      nRows: 5,
      nCols: 4,
      indptr: new Int32Array(6),
      indices: new Int32Array(0),
      values: new Float64Array(0),
    };
    const idx: number[] = [];
    const vals: number[] = [];
    ROWS.forEach((r, i) => {
      r.forEach((v, j) => {
        if (v !== 0) {
          idx.push(j);
          vals.push(v);
        }
      });
      csr.indptr[i + 1] = idx.length;
    });
    csr.indices = Int32Array.from(idx);
    csr.values = Float64Array.from(vals);
    expect(await p.predict(csr)).toEqual(fromColumns);
  });

  it('splits large batches into runs of maxBatchRows and joins the results in order', async () => {
    const many = Array.from({ length: 23 }, (_, i) => ROWS[i % ROWS.length]!.map((v) => v * (1 + i / 10)));
    const small = await load(sklearnLikeModel(), { maxBatchRows: 4, intraOpNumThreads: 1, interOpNumThreads: 1 });
    const big = await load(sklearnLikeModel());
    const a = await small.predict({ float_input: many });
    expect(a).toEqual(await big.predict({ float_input: many }));
    expect(new Set(a.output_label as Float64Array).size).toBeGreaterThan(1);
  });

  it('maps int64 labels through class labels and returns per-row probabilities', async () => {
    const b = graphBuilder('g');
    const x = b.input('x', DT.FLOAT, ['N', 4]);
    const p = b.op('Softmax', [b.op('MatMul', [x, b.constant('w', tensor.float([4, 3], W.flat()))])], {
      output: 'probabilities',
      attrs: [attr.int('axis', 1)],
    });
    b.op('ArgMax', [p], { output: 'label', attrs: [attr.int('axis', 1), attr.int('keepdims', 0)] });
    b.output('label', DT.INT64, ['N']);
    b.output('probabilities', DT.FLOAT, ['N', 3]);
    const pred = await loadOnnxModel({ bytes: b.encode({ opsets: { '': 17 } }), classLabels: ['low', 'mid', 'high'] });
    open.push(pred);
    expect(pred.signature.outputs.map((o) => [o.name, o.type, o.shape])).toEqual([
      ['label', 'string', []],
      ['probabilities', 'float32', [3]],
    ]);
    const out = await pred.predict({ x: ROWS });
    const want = expected(ROWS);
    expect(out.label).toEqual(want.labels.map((l) => ({ 10: 'low', 20: 'mid', 30: 'high' })[l]));
    (out.probabilities as Float32Array[]).forEach((row, i) => {
      row.forEach((v, c) => {
        expect(v).toBeCloseTo(want.probs[i]![c]!, 6);
      });
    });
  });

  it('gives INVALID_INPUT for a missing input, a wrong width and bad options; UNSUPPORTED after close()', async () => {
    const p = await loadOnnxModel(sklearnLikeModel());
    const code = (c: string) => (e: unknown) => isMlopsError(e, c as never);
    await expect(p.predict({ other: [[1, 2, 3, 4]] })).rejects.toSatisfy(code('INVALID_INPUT'));
    await expect(p.predict({ float_input: [[1, 2, 3]] })).rejects.toSatisfy(code('INVALID_INPUT'));
    const wide: DenseMatrix = { columns: ['a', 'b'], nRows: 1, nCols: 2, data: new Float64Array(2) };
    await expect(p.predict(wide)).rejects.toSatisfy(code('INVALID_INPUT'));
    await p.close();
    await expect(p.predict({ float_input: ROWS })).rejects.toSatisfy(code('UNSUPPORTED'));
    await expect(loadOnnxModel(sklearnLikeModel(), { intraOpNumThreads: -1 })).rejects.toSatisfy(code('INVALID_INPUT'));
    await expect(loadOnnxModel(new Uint8Array([1, 2, 3]))).rejects.toSatisfy(code('INVALID_INPUT'));
    expect(() => onnxFlavor({ maxBatchRows: 0 })).toThrow(/maxBatchRows/);
  });
});
