export type { S3Credentials, S3ObjectStore, S3ObjectStoreOptions } from './s3.js';
export { s3ObjectStore } from './s3.js';
