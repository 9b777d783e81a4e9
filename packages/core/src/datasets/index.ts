export type { DatasetLineageFilter, DatasetUse, RecordDatasetUseOptions } from './lineage.js';
export { listDatasetLineage, recordDatasetUse } from './lineage.js';
export type { DatasetManifest, ManifestEntry } from './manifest.js';
export { readManifest } from './manifest.js';
export type { DatasetPointer } from './pointer.js';
export {
  DatasetPointerSchema,
  POINTER_SUFFIX,
  pointerPathFor,
  readPointer,
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
  getDatasetVersion,
  listDatasets,
  listDatasetVersions,
  versionDataset,
} from './version.js';
