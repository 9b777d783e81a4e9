// Statistics
export {
  type AndersonDarlingResult,
  andersonDarling,
} from './anderson-darling.js';
export {
  type ChiSquareOptions,
  type ChiSquareResult,
  chiSquareOptionsSchema,
  chiSquareTest,
} from './chi-square.js';
export {
  type CategoricalSample,
  type CleanCategories,
  type CleanSample,
  cleanCategories,
  cleanSample,
  type DroppedCounts,
  type NumericSample,
} from './clean-sample.js';
export {
  type CramerVonMisesOptions,
  type CramerVonMisesResult,
  cramerVonMises,
  cramerVonMisesOptionsSchema,
} from './cramer-von-mises.js';
export {
  type ColumnDrift,
  type ColumnDriftOverride,
  columnDriftSchema,
  DATASET_STATUSES,
  type DatasetStatus,
  DEFAULT_THRESHOLDS,
  DRIFT_REPORT_KIND,
  DRIFT_REPORT_SCHEMA_VERSION,
  DRIFT_TEST_NAMES,
  type DriftHistogram,
  type DriftOptions,
  type DriftReport,
  type DriftTestName,
  detectDrift,
  driftOptionsSchema,
  driftReportSchema,
  isNumberText,
  MISSING_MARKERS,
  type ReferenceInput,
  type SchemaCheck,
  schemaCheckSchema,
  selectDriftTest,
  type TestSelectionInput,
  type TextDrift,
  type TextDriftOptions,
  type TextDriftResult,
  textDrift,
} from './detect/index.js';
export {
  type DivergenceOptions,
  type DivergenceResult,
  type DivergenceSample,
  divergenceOptionsSchema,
  hellingerDistance,
  hellingerDistanceDetailed,
  jensenShannonDistance,
  jensenShannonDistanceDetailed,
  klDivergence,
  klDivergenceDetailed,
  totalVariationDistance,
  totalVariationDistanceDetailed,
} from './divergence.js';
export { energyDistance, energyDistanceDetailed } from './energy.js';
export { DriftError, type DriftErrorCode, type DriftErrorOptions } from './errors.js';
export { type KsTestOptions, type KsTestResult, ksTest, ksTestOptionsSchema, ksTestSorted } from './ks.js';
export {
  createDriftMonitor,
  type DriftEvent,
  type DriftMonitor,
  type DriftMonitorOptions,
  type DriftMonitorStats,
  type DriftWindow,
} from './monitor/index.js';
// Profiles, reports and monitors
export {
  COLUMN_TYPES,
  type ColumnarData,
  type ColumnMapping,
  type ColumnProfile,
  type ColumnRole,
  type ColumnType,
  columnProfileSchema,
  createProfile,
  createProfileBuilder,
  type DataInput,
  inferColumnType,
  isProfile,
  kllSketchSchema,
  type MergeProfilesOptions,
  mergeProfiles,
  migrateProfile,
  PROFILE_KIND,
  PROFILE_SCHEMA_VERSION,
  PROFILE_SCHEMA_VERSIONS,
  type Profile,
  type ProfileBuilder,
  type ProfileOptions,
  parseProfile,
  profileSchema,
  profileSchemaV1,
  type RecordsData,
} from './profile/index.js';
export { type PsiBins, type PsiOptions, psi, psiBins, psiOptionsSchema } from './psi.js';
export {
  dataQualityReport,
  QUALITY_REPORT_KIND,
  type QualityColumn,
  type QualityHistogram,
  type QualityReport,
  type QualityReportOptions,
  qualityColumnSchema,
  qualityHistogramSchema,
  qualityReportSchema,
  renderQualityReportHtml,
} from './quality/index.js';
export { driftReportJson, driftStrength, renderDriftReportHtml, sortByDrift } from './report/index.js';
export { HyperLogLog, KllSketch, type KllSketchJson, kllRankError, type SketchView } from './sketch/index.js';
export {
  type DistanceResult,
  type WassersteinOptions,
  wassersteinDistance,
  wassersteinDistanceDetailed,
  wassersteinOptionsSchema,
} from './wasserstein.js';
export { type ZTestOptions, type ZTestResult, zTestOptionsSchema, zTestProportions } from './z-test.js';
