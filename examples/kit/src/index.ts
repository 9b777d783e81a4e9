// Helpers shared by the mlops-ts examples (private, run from source with tsx: no build).
export {
  barChart,
  confusionHeatmap,
  curveChart,
  driftFigures,
  esc,
  type LineSeries,
  lineChart,
  textWidth,
} from './charts.js';
export { log, logAlertSink, logger } from './log.js';
export { seededRandom, shuffle, stratifiedSample, stratifiedSplit } from './split.js';
export { nestedTracker } from './study.js';
