// Step 4: preprocessing fitted on the training runs only, and the validation runs through it.
import {
  columnDropper,
  type DenseMatrix,
  denseMatrix,
  type FittedPreprocessingPipeline,
  type Frame,
  imputer,
  preprocessingPipeline,
  standardScaler,
} from '@mlops/core/preprocessing';
import type { SecomData } from '@mlops/datasets';
import { log } from '@mlops/example-kit';
import { frameOf } from '../frames.js';
import { labelsOf, rowsOf, type TimeSplit } from './data.js';

/**
 * Drop mostly-missing (≥ 50 %) and constant sensors, impute the median, standardise, pack into a matrix. Imbalance is
 * handled by the forest's balanced bootstrap. The retraining fits the same pipeline on its own runs.
 */
export function secomPreprocessing() {
  return preprocessingPipeline<DenseMatrix>([
    columnDropper({ maxMissingShare: 0.5 }),
    imputer({ strategy: 'median' }),
    standardScaler(),
    denseMatrix(),
  ]);
}

/** The fitted preprocessing and the training and validation runs, raw (frames) and transformed (matrices). */
export interface Prepared {
  fitted: FittedPreprocessingPipeline<DenseMatrix>;
  /** Sensors the fitted preprocessing keeps. */
  kept: string[];
  trainFrame: Frame;
  trainX: DenseMatrix;
  yTrain: number[];
  valFrame: Frame;
  valX: DenseMatrix;
  yVal: number[];
}

/** Fits the preprocessing on the training runs and transforms the validation runs with it. */
export function preprocess(data: SecomData, split: TimeSplit): Prepared {
  const trainFrame = frameOf(data.featureNames, rowsOf(data, split.train));
  const pre = secomPreprocessing().fitTransform(trainFrame);
  const fitted = pre.fitted;
  const valFrame = frameOf(data.featureNames, rowsOf(data, split.val));
  const valX = fitted.transform(valFrame);
  log('preprocess', 'fitted on the training runs', {
    sensorsKept: pre.output.nCols,
    sensorsDropped: data.featureNames.length - pre.output.nCols,
  });
  return {
    fitted,
    kept: pre.output.columns,
    trainFrame,
    trainX: pre.output,
    yTrain: labelsOf(data, split.train),
    valFrame,
    valX,
    yVal: labelsOf(data, split.val),
  };
}
