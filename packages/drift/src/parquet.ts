// The `@mlops/drift/parquet` entry point (hyparquet is an optional peer dependency).
export {
  type ParquetReadOptions,
  type ParquetSource,
  parquetBatches,
  parquetInfo,
  profileParquet,
  readParquet,
} from './adapters/parquet.js';
