// Helpers shared by the mlops-ts examples (private, run from source with tsx: no build).
export {
  barChart,
  confusionHeatmap,
  curveChart,
  esc,
  type LineSeries,
  lineChart,
} from './charts.js';
export { log } from './log.js';
export { seededRandom, shuffle, stratifiedSample, stratifiedSplit } from './split.js';
export { nestedTracker } from './study.js';
