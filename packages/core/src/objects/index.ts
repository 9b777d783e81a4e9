// Building blocks for object stores and their callers: digests, bounded batches, integrity checks, the store's
// reference table, garbage collection, and object store URLs (`openObjectStore`). The ObjectStore interface and the file-system store are in `@mlops/core`.

export {
  DEFAULT_CONCURRENCY,
  deleteObjects,
  freshenObjects,
  mapLimit,
  putFileObject,
  putObjects,
  statObjects,
} from './batch.js';
export type { CheckObjectOptions } from './check.js';
export { checkObject, checkObjects } from './check.js';
export type { HashingTransform } from './digest.js';
export { digestOf, parseDigest } from './digest.js';
export type { CollectGarbageOptions, GarbageReport } from './gc.js';
export { collectGarbage } from './gc.js';
export type { ObjectRef } from './refs.js';
export {
  listObjectRefs,
  listReferencedDigests,
  recordObjectRef,
  recordObjectRefs,
  removeObjectRefs,
} from './refs.js';
export type { ObjectStoreUrl, OpenObjectStoreOptions, ParseObjectStoreUrlOptions } from './url.js';
export {
  DEFAULT_OBJECTS_URL,
  OBJECT_STORE_PLUGINS,
  objectStoreFromUrl,
  openObjectStore,
  parseObjectStoreUrl,
} from './url.js';
