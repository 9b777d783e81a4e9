// The contracts plugins implement: flavor, predictor, trainer, alert sink, telemetry, and the column types they share.

export type { Alert, AlertInput, AlertSeverity, AlertSink, ConsoleAlertSinkOptions } from './alert-sink.js';
export { alertSchema, alertSeveritySchema, consoleAlertSink, createAlert } from './alert-sink.js';
export type {
  Columns,
  ColumnValues,
  FeatureMatrix,
  InputRecord,
  ModelInput,
  NumericArray,
} from './columns.js';
export { columnsLength, columnsToRecords, isFeatureMatrix, recordsToColumns, toJsonValue } from './columns.js';
export type { Flavor, FlavorLoadContext, JsonValue, ModelFiles } from './flavor.js';
export type { Predictor } from './predictor.js';
export type {
  Attributes,
  AttributeValue,
  Counter,
  Histogram,
  InstrumentOptions,
  Span,
  Telemetry,
} from './telemetry.js';
export { noopTelemetry } from './telemetry.js';
export type { RunLike, Trainer, TrainerContext, TrainingData } from './trainer.js';
