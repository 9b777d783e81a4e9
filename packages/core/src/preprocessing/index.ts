export type { ColumnDropperOptions, ColumnDropperState, FittedColumnDropper } from './column-dropper.js';
export { columnDropper } from './column-dropper.js';
export type { DenseMatrixOptions, DenseMatrixState, FittedDenseMatrix } from './dense-matrix.js';
export { denseMatrix } from './dense-matrix.js';
export type {
  FittedHashingVectorizer,
  HashingVectorizerOptions,
  HashingVectorizerState,
} from './hashing-vectorizer.js';
export { hashingVectorizer } from './hashing-vectorizer.js';
export type { FittedImputer, ImputerColumnOptions, ImputerOptions, ImputerState, ImputeStrategy } from './imputer.js';
export { imputer } from './imputer.js';
export { murmurhash3_32 } from './murmurhash3.js';
export type {
  FittedOneHotEncoder,
  HandleUnknown,
  OneHotEncoderOptions,
  OneHotEncoderState,
} from './one-hot-encoder.js';
export { oneHotEncoder } from './one-hot-encoder.js';
export type { FittedPreprocessingPipeline, PreprocessingPipeline, PreprocessingPipelineState } from './pipeline.js';
export { loadPreprocessingPipeline, loadTransformer, preprocessingPipeline } from './pipeline.js';
export type { FittedStandardScaler, StandardScalerOptions, StandardScalerState } from './standard-scaler.js';
export { standardScaler } from './standard-scaler.js';
export type { FittedTfidfVectorizer, TfidfVectorizerOptions, TfidfVectorizerState } from './tfidf-vectorizer.js';
export { tfidfVectorizer } from './tfidf-vectorizer.js';
export type { TokenizeOptions } from './tokenizer.js';
export { ENGLISH_STOP_WORDS, tokenize } from './tokenizer.js';
export type {
  CsrMatrix,
  DenseMatrix,
  FittedTransformer,
  Frame,
  FrameCell,
  Transformer,
  TransformerState,
} from './types.js';
