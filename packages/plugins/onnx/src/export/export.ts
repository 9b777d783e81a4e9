import { type FieldSpecInput, MlopsError, type PreprocessingInput, type SignatureInput } from '@mlops/core';
import { DT, graphBuilder, ML_DOMAIN } from '../_internal/graph.js';
import { ONNX_METADATA_KEYS, ONNX_MISSING_STRING, type OnnxModel, type OnnxSparseInput } from '../onnx-model.js';
import {
  type FeatureStage,
  matrixFeatures,
  type OnnxInputType,
  preprocessingSteps,
  SPARSE_INDICES,
  sparseFeatures,
  sparseSpec,
  tabularFeatures,
} from './features.js';
import { type ForestModelLike, forestStage, isForestModelLike } from './forest.js';
import { isLinearModelLike, type LinearModelLike, linearHead, linearScores, linearScoresSparse } from './linear.js';

/** The ai.onnx opset the exporter writes (string Equal needs 19). */
export const ONNX_OPSET = 19;
/** The ai.onnx.ml opset the exporter writes (TreeEnsemble* with float64 thresholds need 3). */
export const ONNX_ML_OPSET = 3;

/** Options of {@link exportToOnnx}. */
export interface ExportToOnnxOptions {
  /** The trained model: a linear/softmax model (`@mlops/plugin-linear`) or a forest (`@mlops/plugin-random-forest`). */
  model: LinearModelLike | ForestModelLike;
  /**
   * Fitted tabular preprocessing to put in front of the model (imputer, standard scaler, one-hot encoder, column
   * dropper, ending with a dense-matrix step): a fitted transformer or pipeline, or its JSON state. The graph then
   * takes one input per raw column. Text vectorizers stay in the model package instead (see the README).
   * @default undefined (the graph takes the feature matrix)
   */
  preprocessing?: PreprocessingInput;
  /**
   * Name of the matrix input when there is no preprocessing.
   * @default 'input'
   */
  inputName?: string;
  /**
   * Linear models only, without preprocessing: take sparse rows as two inputs, `indices` (int64 [N, K]) and
   * `values` ([N, K], zero-padded), instead of a dense [N, nFeatures] matrix. The flavor turns a CSR matrix (what
   * TF-IDF gives) into them. Pays off for large vocabularies: see the README's measurements.
   * @default false
   */
  sparseInput?: boolean;
  /**
   * Element type of numeric inputs; arithmetic inside the graph is float64 either way.
   * @default 'float32'
   */
  inputType?: OnnxInputType;
}

/** What {@link exportToOnnx} returns: the model for {@link onnxFlavor} plus the signature of the graph. */
export interface OnnxExport extends Required<Omit<OnnxModel, 'classLabels' | 'sparseInput'>> {
  /** The sparse input spec when exported with `sparseInput`, else null. */
  sparseInput: OnnxSparseInput | null;
  /** Class labels, in class-index order (absent for a regressor). */
  classLabels?: readonly string[] | readonly number[];
  /** Inputs and outputs of the graph (use it as the package signature when the graph holds the preprocessing). */
  signature: SignatureInput;
}

/**
 * Exports a trained model, with its fitted tabular preprocessing in front, as ONE ONNX graph: imputer →
 * IsNaN/Where, scaler → Sub/Div, one-hot → OneHotEncoder, dense-matrix → Concat/Gather; random forest →
 * TreeEnsembleClassifier/Regressor, linear → MatMul/Add/Sigmoid or Softmax. Classifiers output `label` (int64 class
 * index, mapped back through `classLabels` by the flavor) and `probabilities` (float32 [N, C]).
 *
 * @example
 * const exported = exportToOnnx({ model: forest, preprocessing: fittedPipeline });
 * await saveModelPackage({ objects, flavor: onnxFlavor(), model: exported, signature: exported.signature, lineage: {} });
 */
export function exportToOnnx(options: ExportToOnnxOptions): OnnxExport {
  const { model } = options;
  const inputType = options.inputType ?? 'float32';
  const b = graphBuilder('mlops_model');
  const linear = isLinearModelLike(model);
  if (!linear && !isForestModelLike(model)) {
    throw new MlopsError('INVALID_INPUT', {
      message: 'exportToOnnx: model is neither a linear model nor a random forest',
      details: [{ path: 'model', message: 'Unsupported model shape' }],
    });
  }
  const nFeatures = linear ? (model as LinearModelLike).nFeatures : (model as ForestModelLike).nFeatures;
  const sparse = options.sparseInput === true;
  if (sparse && (!linear || options.preprocessing)) {
    throw new MlopsError('UNSUPPORTED', {
      message: 'sparseInput is for linear models without preprocessing in the graph',
    });
  }
  const features: FeatureStage = sparse
    ? sparseFeatures(b, nFeatures, inputType)
    : options.preprocessing
      ? tabularFeatures(b, preprocessingSteps(options.preprocessing), inputType)
      : matrixFeatures(b, options.inputName ?? 'input', nFeatures, inputType);

  const outputs: FieldSpecInput[] = [];
  let classLabels: string[] | number[] | undefined;
  if (linear) {
    const m = model as LinearModelLike;
    const z = sparse
      ? linearScoresSparse(b, SPARSE_INDICES, features.x, m)
      : linearScores(b, features.x, features.nFeatures, m);
    linearHead(b, z, m);
    classLabels = [...m.classes] as string[] | number[];
  } else {
    const m = model as ForestModelLike;
    const r = forestStage(b, features.x, features.nFeatures, m);
    if (r.kind === 'regression') {
      b.output('prediction', DT.FLOAT, ['N']);
      outputs.push({ name: 'prediction', type: 'float32', description: 'Predicted value' });
    } else {
      classLabels = [...r.classes] as string[] | number[];
    }
  }
  const labelOutputs = classLabels ? ['label'] : [];
  if (classLabels) {
    b.output('label', DT.INT64, ['N']);
    b.output('probabilities', DT.FLOAT, ['N', classLabels.length]);
    const numeric = typeof classLabels[0] === 'number';
    outputs.push(
      { name: 'label', type: numeric ? 'float64' : 'string', description: 'Most probable class' },
      {
        name: 'probabilities',
        type: 'float32',
        shape: [classLabels.length],
        description: `Class probabilities in the order ${JSON.stringify(classLabels)}`,
      },
    );
  }
  const metadata: Record<string, string> = {
    [ONNX_METADATA_KEYS.labelOutputs]: JSON.stringify(labelOutputs),
    [ONNX_METADATA_KEYS.missingString]: ONNX_MISSING_STRING,
    [ONNX_METADATA_KEYS.optionalInputs]: JSON.stringify(features.optionalInputs),
  };
  if (classLabels) metadata[ONNX_METADATA_KEYS.classLabels] = JSON.stringify(classLabels);
  if (sparse) metadata[ONNX_METADATA_KEYS.sparseInput] = JSON.stringify(sparseSpec(nFeatures));
  const bytes = b.encode({
    opsets: { '': ONNX_OPSET, [ML_DOMAIN]: ONNX_ML_OPSET },
    metadata,
    docString: `Exported by @mlops/plugin-onnx (${linear ? 'linear' : 'random forest'} model${options.preprocessing ? ' with preprocessing' : ''})`,
  });
  return {
    bytes,
    ...(classLabels ? { classLabels } : {}),
    labelOutputs,
    missingString: ONNX_MISSING_STRING,
    optionalInputs: features.optionalInputs,
    sparseInput: sparse ? sparseSpec(nFeatures) : null,
    signature: { inputs: features.inputs, outputs },
  };
}
