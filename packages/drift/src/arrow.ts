// The `@mlops/drift/arrow` entry point (apache-arrow is an optional peer dependency).
export {
  type ArrowReadOptions,
  type ArrowSource,
  arrowBatches,
  arrowColumn,
  fromArrow,
  profileArrow,
} from './adapters/arrow.js';
