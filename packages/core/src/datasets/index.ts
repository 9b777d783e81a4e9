export type { DatasetLineageFilter, DatasetUse, RecordDatasetUseOptions } from './lineage.js';
export { listDatasetLineage, recordDatasetUse } from './lineage.js';
export type { DatasetManifest, ManifestEntry } from './manifest.js';
export { DatasetManifestSchema, readManifest } from './manifest.js';
export type { DatasetPointer } from './pointer.js';
export {
  DatasetPointerSchema,
  POINTER_SUFFIX,
  parsePointer,
  pointerPathFor,
  readPointer,
  writePointer,
} from './pointer.js';
export type {
  DatasetCorruptedObject,
  DatasetFileState,
  DatasetFileStatus,
  DatasetObjectLocation,
  DatasetStatus,
  DatasetStatusOptions,
  PullDatasetOptions,
  PullDatasetResult,
  PushDatasetOptions,
  PushDatasetResult,
} from './remote.js';
export { datasetStatus, pullDataset, pushDataset } from './remote.js';
export type { StatCacheOptions } from './stat-cache.js';
export type { ColumnStats, DatasetColumnType, FileStats } from './stats.js';
export { ColumnStatsSchema, FileStatsSchema } from './stats.js';
export type {
  DatasetProgressOptions,
  DatasetSchemaSnapshot,
  DatasetStats,
  DatasetVersion,
  DatasetVersionRef,
  VersionDatasetOptions,
  VersionDatasetResult,
} from './version.js';
export {
  DatasetSchemaSnapshotSchema,
  DatasetStatsSchema,
  getDatasetVersion,
  listDatasets,
  listDatasetVersions,
  migrateDatasets,
  versionDataset,
} from './version.js';
