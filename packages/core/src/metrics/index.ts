export type { ClassLabel } from './_labels.js';
export type {
  AveragedScores,
  BalancedAccuracyOptions,
  ClassScores,
  ConfusionMatrix,
  ConfusionMatrixOptions,
  PrecisionRecallF1,
  PrecisionRecallF1Options,
  ZeroDivision,
} from './classification.js';
export { accuracy, balancedAccuracy, confusionMatrix, precisionRecallF1 } from './classification.js';
export type {
  EvaluatePerformanceOptions,
  MetricThreshold,
  PerformanceBreach,
  PerformanceEvaluation,
  PerformanceEvent,
  PerformanceMetric,
  PerformanceMonitor,
  PerformanceMonitorOptions,
  PerformancePair,
} from './performance-monitor.js';
export { createPerformanceMonitor, evaluatePerformance } from './performance-monitor.js';
export type { RankingOptions, RankingScores } from './ranking.js';
export { prAuc, rocAuc } from './ranking.js';
export type { ClassificationReport, ClassificationReportOptions } from './report.js';
export { classificationReport, parseClassificationReport } from './report.js';
