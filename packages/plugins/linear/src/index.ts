export type { LinearModelHeader } from './flavor.js';
export {
  decodeLinearModel,
  encodeLinearModel,
  LINEAR_FLAVOR_NAME,
  LINEAR_HEADER_FILE,
  LINEAR_WEIGHTS_FILE,
  linearFlavor,
  linearOutputSignature,
  linearPredictor,
} from './flavor.js';
export type { LinearModel, LinearModelInit, LinearModelKind, LinearTrainingInfo } from './model.js';
export { linearModel, sigmoid } from './model.js';
export type { LinearParams, LinearTrainer, LinearTrainingData, ResolvedLinearParams } from './trainer.js';
export {
  encodeLabels,
  fitLinear,
  LINEAR_TRAINER_NAME,
  linearParamsSchema,
  linearTrainer,
  logisticTrainer,
  softmaxTrainer,
} from './trainer.js';
