export type {
  AlertAction,
  AlertmanagerPayload,
  AlertmanagerResponse,
  AlertmanagerRoute,
  AlertmanagerRouteOptions,
  AlertOutcome,
} from './continuous/alertmanager-route.js';
export {
  alertmanagerPayloadSchema,
  createAlertmanagerRoute,
  NEVER_RETRAIN_ALERTS,
  RETRAIN_ALERTS,
} from './continuous/alertmanager-route.js';
export type { ComparisonMetricsContext, EvaluationData, GateComparisonOptions } from './continuous/gate-comparison.js';
export type {
  ContinuousTrainingOptions,
  ContinuousTrainingPolicy,
  RetrainContext,
  RetrainEvaluation,
  RetrainTriggers,
  RunOnceOptions,
} from './continuous/policy.js';
export { createContinuousTrainingPolicy, isRetrainEvaluation, openRetrainDecision } from './continuous/policy.js';
export type { RetrainLock } from './continuous/retrain-lock.js';
export { acquireRetrainLock, retrainLockKey } from './continuous/retrain-lock.js';
export type {
  RetrainJobStatus,
  RetrainRunner,
  RetrainRunnerOptions,
  RetrainStartOptions,
  RetrainStatus,
  RetrainTarget,
} from './continuous/retrain-runner.js';
export { createRetrainRunner, isRetrainConflict } from './continuous/retrain-runner.js';
export type {
  RetrainAuthenticate,
  RetrainResponse,
  RetrainRoute,
  RetrainRouteOptions,
  RetrainStatusResponse,
  RetrainStatusRoute,
} from './continuous/route.js';
export {
  createRetrainRoute,
  createRetrainRoutes,
  createRetrainStatusRoute,
  retrainRequestSchema,
} from './continuous/route.js';
export type { CellResult, CsvColumnType } from './ingest/column-types.js';
export { CSV_COLUMN_TYPES, inferCsvColumnType, normalizeHeader, parseCsvCell } from './ingest/column-types.js';
export type {
  CsvColumnSpec,
  IngestCsvOptions,
  IngestCsvResult,
  ListQuarantineOptions,
  QuarantineCategory,
  QuarantinedRow,
} from './ingest/ingest-csv.js';
export { ingestCsv, listQuarantine } from './ingest/ingest-csv.js';
export { migratePipelines } from './migrate.js';
export type {
  Pipeline,
  PipelineOptions,
  PipelineRunOptions,
  PipelineRunResult,
  StepResult,
} from './pipeline/pipeline.js';
export { pipeline } from './pipeline/pipeline.js';
export type {
  InputValue,
  ParamRef,
  RetryOptions,
  Step,
  StepContext,
  StepInputs,
  StepLineage,
  StepOptions,
  StepRef,
} from './pipeline/step.js';
export { param, step, stepOutput } from './pipeline/step.js';
export type { RelationName } from './sql/identifiers.js';
export { parseRelation, quoteIdent, quoteRelation } from './sql/identifiers.js';
export type { ContentHash } from './sql/relations.js';
export { contentHash } from './sql/relations.js';
export type { RunSqlStepsOptions, SqlRunResult, SqlStepResult } from './sql/run-sql-steps.js';
export { orderSteps, runSqlSteps, SQL_STEP_SUITE } from './sql/run-sql-steps.js';
export type { Materialization, SqlStep, SqlStepInput, SqlStepsFromDirOptions } from './sql/steps.js';
export { sqlStep, sqlStepsFromDir } from './sql/steps.js';
export type { TemplateContext } from './sql/template.js';
export { renderTemplate, templateRefs } from './sql/template.js';
export type { Observation, SampleFn, TpeOptions } from './tuning/samplers.js';
export { randomSample, tpeSampler } from './tuning/samplers.js';
export type {
  CategoricalDistribution,
  Choice,
  Distribution,
  FloatDistribution,
  IntDistribution,
  ParamsOf,
  SearchSpace,
} from './tuning/space.js';
export { categorical, floatParam, intParam, logUniform, searchSpaceSchema } from './tuning/space.js';
export type {
  MedianPrunerOptions,
  OptimizeOptions,
  OptimizeResult,
  Study,
  StudyOptions,
  Trial,
  TrialRecord,
} from './tuning/study.js';
export { createStudy, isPruned } from './tuning/study.js';
export type { ObjectiveModule, ThreadTrial } from './tuning/threads.js';
export type {
  ClassSharesOptions,
  ColumnExpectations,
  DistributionOptions,
  Expectation,
  ExpectationKind,
  ExpectationOptions,
  FreshnessOptions,
  ReferencesOptions,
  RowCountOptions,
  Severity,
  ShareBounds,
} from './validation/expectations.js';
export {
  expectationSchema,
  expectColumn,
  expectDistribution,
  expectFreshness,
  expectNoRows,
  expectReferences,
  expectRowCount,
  expectUnique,
  parseExpectations,
  SEVERITIES,
} from './validation/expectations.js';
export type { ValidationHtmlOptions } from './validation/html.js';
export { renderValidationReportHtml, validationReportJson } from './validation/html.js';
export type { ExpectationResult, ValidationReport } from './validation/report.js';
export {
  assertValid,
  expectationResultSchema,
  formatValidationReport,
  isValidationFailedError,
  parseValidationReport,
  VALIDATION_REPORT_KIND,
  VALIDATION_REPORT_SCHEMA_VERSION,
  ValidationFailedError,
  validationReportSchema,
} from './validation/report.js';
export type {
  DatasetRef,
  ListValidationReportsOptions,
  SaveValidationReportOptions,
  StoredValidationReport,
} from './validation/results-store.js';
export { getValidationReport, listValidationReports, saveValidationReport } from './validation/results-store.js';
export type { ValidateDataOptions } from './validation/validate-data.js';
export { validateData } from './validation/validate-data.js';
export type { ValidateTableOptions } from './validation/validate-table.js';
export { validateTable } from './validation/validate-table.js';
