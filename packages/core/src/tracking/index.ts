// Experiment tracking: experiments, runs, params, batched metrics, tags, artifacts, dataset lineage, search.

export type { Experiment, ExperimentInput } from './experiments.js';
export type {
  ComparisonRow,
  LatestMetric,
  MetricPoint,
  RunComparison,
  RunDetails,
  RunInfo,
} from './queries.js';
export type { ArtifactPath, Run, RunArtifact, RunDataset } from './run.js';
export type { EndStatus, MetricOptions, ParamValue, RunStatus } from './schemas.js';
export type { NumberCondition, OrderBy, RunFilter, TextCondition } from './search.js';
export { compileRunSearch } from './search.js';
export type { GitInfo, SourceInfo } from './source.js';
export type { BestRunOptions, SearchRunsOptions, StartRunOptions, Tracker, TrackerOptions } from './tracker.js';
export { createTracker } from './tracker.js';
