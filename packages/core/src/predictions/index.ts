// The prediction log: batched writer, reader by model and time window, feedback.

export type {
  LoggedBatch,
  LoggedPrediction,
  PredictionBatchEntry,
  PredictionEntry,
  PredictionLogDurability,
  PredictionLogger,
  PredictionLoggerOptions,
  PredictionLoggerStats,
  PredictionLogInputs,
  QuarantinedPrediction,
} from './prediction-logger.js';
export { createPredictionLogger } from './prediction-logger.js';
export type {
  FeedbackRecord,
  LabelledPrediction,
  PredictionRecord,
  ReadLabelledWindowOptions,
  ReadPredictionsOptions,
  RecordFeedbackOptions,
} from './reader.js';
export { readLabelledWindow, readPredictions, recordFeedback } from './reader.js';
export type { PrunePredictionsOptions, PruneResult } from './retention.js';
export { prunePredictions } from './retention.js';
