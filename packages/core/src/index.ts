export type { FieldIssue, MlopsErrorCode, MlopsErrorOptions } from './errors.js';
export { isMlopsError, MlopsError } from './errors.js';
export type { HashingTransform } from './objects/digest.js';
export {
  createHashingTransform,
  createVerifyingTransform,
  digestOf,
  isDigest,
  parseDigest,
} from './objects/digest.js';
export type { FsObjectStore, FsObjectStoreOptions } from './objects/fs.js';
export { fsObjectStore } from './objects/fs.js';
export type {
  CleanTempOptions,
  CleanTempResult,
  Digest,
  ObjectBody,
  ObjectStat,
  ObjectStore,
  PutOptions,
  PutResult,
} from './objects/object-store.js';
export type { ObjectRef } from './objects/refs.js';
export {
  listObjectRefs,
  listReferencedDigests,
  migrateObjectRefs,
  recordObjectRef,
  removeObjectRefs,
} from './objects/refs.js';
export { createStore } from './store/create-store.js';
export type { PgliteStoreOptions } from './store/pglite.js';
export { pgliteStore } from './store/pglite.js';
export type { PostgresStoreOptions } from './store/postgres.js';
export { postgresStore } from './store/postgres.js';
export { isUniqueViolation } from './store/sql-errors.js';
export type { Migration, Store } from './store/store.js';
export type { StoreUrl } from './store/url.js';
export { DEFAULT_STORE_URL, parseStoreUrl, redactStoreUrl } from './store/url.js';
