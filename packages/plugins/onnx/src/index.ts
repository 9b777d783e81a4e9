export type { ExportToOnnxOptions, OnnxExport } from './export/export.js';
export { exportToOnnx, ONNX_ML_OPSET, ONNX_OPSET } from './export/export.js';
export type { OnnxInputType } from './export/features.js';
export type { ForestModelLike } from './export/forest.js';
export type { LinearModelLike } from './export/linear.js';
export type { OnnxPredictor, OnnxSessionOptions } from './flavor.js';
export { loadOnnxModel, ONNX_FLAVOR_NAME, onnxFlavor } from './flavor.js';
export type { OnnxFlavorConfig, OnnxModel } from './onnx-model.js';
export {
  ONNX_METADATA_KEYS,
  ONNX_MISSING_STRING,
  ONNX_MODEL_FILE,
  onnxFlavorConfigSchema,
  resolveOnnxConfig,
} from './onnx-model.js';
