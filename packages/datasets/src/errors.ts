/** Machine-readable codes carried by {@link DatasetError}. */
export type DatasetErrorCode = 'NOT_FOUND' | 'CHECKSUM_MISMATCH' | 'DOWNLOAD_FAILED' | 'INVALID_INPUT';

/** Options accepted by the {@link DatasetError} constructor. */
export interface DatasetErrorOptions {
  /** The underlying error, when there is one. */
  cause?: unknown;
  /** Extra machine-readable context (file, expected and actual digest, places looked, URL, …). */
  details?: Record<string, unknown>;
}

/** Error thrown by @mlops/datasets, with a machine-readable `code` and structured `details`. */
export class DatasetError extends Error {
  readonly code: DatasetErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: DatasetErrorCode, message: string, options: DatasetErrorOptions = {}) {
    super(`[@mlops/datasets] ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DatasetError';
    this.code = code;
    this.details = options.details;
  }
}

/** True when `err` is a {@link DatasetError}, optionally with the given code. */
export function isDatasetError(err: unknown, code?: DatasetErrorCode): err is DatasetError {
  return err instanceof DatasetError && (code === undefined || err.code === code);
}
