// The root entry point: what every area and every package of mlops-ts shares: errors and input validation, the store
// and object-store interfaces with createStore and the file-system object store, one migrate() for core's tables,
// the plugin contracts (flavors, predictors, trainers, telemetry, alert sinks), model signatures and model packages,
// and a few cross-cutting helpers (PostgreSQL-safe text, progress and log lines, retry backoff). Each area has its own entry point:
// see "Entry points" in the README.
export type {
  Alert,
  AlertInput,
  AlertSeverity,
  AlertSink,
  Attributes,
  AttributeValue,
  Columns,
  ColumnValues,
  ConsoleAlertSinkOptions,
  Counter,
  FeatureMatrix,
  Flavor,
  FlavorLoadContext,
  Histogram,
  InputRecord,
  InstrumentOptions,
  JsonValue,
  ModelFiles,
  ModelInput,
  NumericArray,
  Predictor,
  RunLike,
  Span,
  Telemetry,
  Trainer,
  TrainerContext,
  TrainingData,
} from './contracts/index.js';
export {
  alertSchema,
  columnsLength,
  columnsToRecords,
  consoleAlertSink,
  createAlert,
  isFeatureMatrix,
  noopTelemetry,
  recordsToColumns,
  toJsonValue,
} from './contracts/index.js';
export type { FieldIssue, MlopsErrorCode, MlopsErrorOptions } from './errors.js';
export { isMlopsError, MlopsError } from './errors.js';
export { timeOrderedId } from './ids.js';
export type { LogEntry, Logger, LoggerOptions, LogLevel, OutputMode, OutputStream } from './log.js';
export { createLogger, formatLogLine, formatLogValue, jsonLogLine, outputMode } from './log.js';
export type { CoreArea, MigrateOptions } from './migrate.js';
export { CORE_AREAS, migrate } from './migrate.js';
export type { ModelPackageManifest, PackageFile } from './model-package/manifest.js';
export type {
  LoadedModelPackage,
  LoadModelPackageOptions,
  PreprocessingInput,
  SavedModelPackage,
  SaveModelPackageOptions,
} from './model-package/model-package.js';
export {
  loadModelPackage,
  readModelPackageManifest,
  saveModelPackage,
} from './model-package/model-package.js';
export type { FsObjectLocation, FsObjectStore, FsObjectStoreOptions, FsPackOptions } from './objects/fs.js';
export { fsObjectStore } from './objects/fs.js';
export type {
  BatchOptions,
  CheckItem,
  CheckManyOptions,
  CleanTempOptions,
  CleanTempResult,
  DeleteManyOptions,
  Digest,
  ObjectBody,
  ObjectStat,
  ObjectState,
  ObjectStore,
  PutFileOptions,
  PutManyItem,
  PutOptions,
  PutResult,
} from './objects/object-store.js';
export type { PgJsonIssue, PgJsonOptions } from './pg-text.js';
export { pgJson, pgJsonIssues, pgText } from './pg-text.js';
export type { Progress, ProgressMode, ProgressOptions, ProgressStream } from './progress.js';
export { createProgress, formatBytes, SILENT_PROGRESS } from './progress.js';
export { mulberry32 } from './random.js';
export type { Backoff } from './retry.js';
export { backoffDelay, isRetryableStatus, parseRetryAfter, retryAfterOf } from './retry.js';
export type {
  FieldSpec,
  FieldSpecInput,
  FieldType,
  InputValidator,
  InputValidatorCallOptions,
  InputValidatorOptions,
  Signature,
  SignatureInput,
  SignatureJsonSchemas,
  SignatureSchemaOptions,
  SignatureSchemas,
  ValidateInputsOptions,
} from './signature/signature.js';
export {
  createInputValidator,
  inferSignature,
  parseSignature,
  signatureSchema,
  signatureToJsonSchema,
  signatureToZod,
  validateInputs,
} from './signature/signature.js';
export { type CreateStoreOptions, createStore } from './store/create-store.js';
export type { ListenStatus, Migration, Store, StoreListenOptions } from './store/store.js';
export type { StoreUrl } from './store/url.js';
export { DEFAULT_STORE_URL, parseStoreUrl, redactStoreUrl } from './store/url.js';
export { formatIssuePath, invalidInput, parseInput, summarizeIssues, zodIssues } from './validation.js';
