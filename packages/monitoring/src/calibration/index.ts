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
  calibrationReportSchema,
  calibratorFromJSON,
  calibratorSchema,
  fitCalibrator,
} from './calibrator.js';
export type { Reliability, ReliabilityBin } from './reliability.js';
export { reliability, reliabilityBinSchema } from './reliability.js';
