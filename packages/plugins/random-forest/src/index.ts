export {
  RANDOM_FOREST_FILE,
  RANDOM_FOREST_FLAVOR_NAME,
  randomForestFlavor,
  randomForestOutputSignature,
  randomForestPredictor,
} from './flavor.js';
export type { ForestJson, ForestTree, FromMlRandomForestOptions, RandomForestModel } from './forest.js';
export {
  argmaxRows,
  FOREST_JSON_KIND,
  forestJsonSchema,
  forestPredict,
  forestProbabilities,
  forestToTrees,
  fromMlRandomForest,
  parseForestJson,
  randomForestModel,
} from './forest.js';
export type {
  RandomForestParams,
  RandomForestTrainer,
  ResolvedRandomForestParams,
} from './trainer.js';
export {
  fitRandomForest,
  RANDOM_FOREST_TRAINER_NAME,
  randomForestParamsSchema,
  randomForestTrainer,
} from './trainer.js';
