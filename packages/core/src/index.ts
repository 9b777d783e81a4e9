export type { FieldIssue, MlopsErrorCode, MlopsErrorOptions } from './errors.js';
export { isMlopsError, MlopsError } from './errors.js';
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