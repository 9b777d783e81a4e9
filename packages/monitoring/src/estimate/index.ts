export type { EstimatePerformanceOptions, PerformanceEstimate } from './estimate.js';
export { estimatePerformance, performanceEstimateSchema } from './estimate.js';
export type { VersionEstimate } from './gauges.js';
export { ESTIMATE_GAUGE_NAMES, ESTIMATE_GAUGES, estimateGauges } from './gauges.js';
