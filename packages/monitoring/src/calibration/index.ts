export type { ProbabilityRows } from './_probabilities.js';
export type {
  CalibrationMethod,
  CalibrationReport,
  Calibrator,
  CalibratorJson,
  FitCalibratorOptions,
} from './calibrator.js';
export {
  CALIBRATOR_KIND,
  CALIBRATOR_METADATA_KEY,
  calibrationReportSchema,
  calibratorFromJSON,
  calibratorFromMetadata,
  calibratorMetadata,
  calibratorSchema,
  fitCalibrator,
} from './calibrator.js';
export type { Reliability, ReliabilityBin } from './reliability.js';
export { reliability, reliabilityBinSchema } from './reliability.js';
