export type { ProgressMode, ProgressStream } from './_internal/progress.js';
export { type DownloadOptions, type DownloadResult, downloadDatasetFile, rewriteUrl } from './download.js';
export { DatasetError, type DatasetErrorCode, type DatasetErrorOptions, isDatasetError } from './errors.js';
export {
  DATASET_FILES,
  type DatasetFileSpec,
  datasetFileSpecSchema,
  IT_TICKETS_TOPICS_FILE,
  IT_TICKETS_URGENCY_FILE,
  type RemoteSource,
  remoteSourceSchema,
  SECOM_FEATURES_FILE,
  SECOM_LABELS_FILE,
} from './files.js';
export {
  type DatasetOrigin,
  type DatasetSource,
  defaultCacheDir,
  findSharedDatasetsDirs,
  type ResolveOptions,
  resolveDatasetFile,
} from './resolve.js';
export {
  loadSecom,
  loadSecomLabels,
  parseSecomFeatures,
  parseSecomLabels,
  SECOM_ROWS,
  type SecomData,
  type SecomLabels,
  type SecomOptions,
} from './secom.js';
export {
  SECOM_FEATURE_COUNT,
  type SecomLabel,
  type SimulatedColumn,
  type SimulatedColumnKind,
  type SimulatedSecom,
  type SimulateSecomOptions,
  secomFeatureNames,
  simulateSecom,
} from './simulate-secom.js';
export {
  type ItTicketsOptions,
  type LoadedRows,
  loadItTickets,
  loadTicketTopics,
  loadTicketUrgency,
  parseTicketTopicsCsv,
  parseTicketUrgencyCsv,
  TICKET_TOPICS,
  type TicketLoadOptions,
  type TicketTopic,
  type TicketTopicRow,
  type TicketUrgencyRow,
  ticketTopicRowSchema,
  ticketUrgencyRowSchema,
} from './tickets.js';
