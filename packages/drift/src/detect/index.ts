export {
  type ColumnDriftOverride,
  type DriftOptions,
  detectDrift,
  driftOptionsSchema,
  type ReferenceInput,
} from './detect-drift.js';
export { isNumberText, MISSING_MARKERS } from './read-current.js';
export {
  type ColumnDrift,
  columnDriftSchema,
  DATASET_STATUSES,
  type DatasetStatus,
  DRIFT_REPORT_KIND,
  DRIFT_REPORT_SCHEMA_VERSION,
  DRIFT_TEST_NAMES,
  type DriftHistogram,
  type DriftReport,
  type DriftTestName,
  driftReportSchema,
  type SchemaCheck,
  schemaCheckSchema,
  type TextDrift,
} from './schema.js';
export { DEFAULT_THRESHOLDS, selectDriftTest, type TestSelectionInput } from './select-test.js';
export { type TextDriftOptions, type TextDriftResult, textDrift } from './text-drift.js';
