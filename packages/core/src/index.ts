export type { FieldIssue, MlopsErrorCode, MlopsErrorOptions } from './errors.js';
export { isMlopsError, MlopsError } from './errors.js';
export type { Migration, Store } from './store/store.js';
