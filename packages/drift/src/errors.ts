/** Machine-readable codes carried by {@link DriftError}. */
export type DriftErrorCode = 'EMPTY_INPUT' | 'INVALID_INPUT' | 'INSUFFICIENT_DATA';

/** Options accepted by the {@link DriftError} constructor. */
export interface DriftErrorOptions {
  /** The underlying error, when there is one. */
  cause?: unknown;
  /** Extra machine-readable context (e.g. which sample was empty). */
  details?: Record<string, unknown>;
}

/** Error thrown by @mlops/drift for bad input, with a machine-readable `code`. */
export class DriftError extends Error {
  readonly code: DriftErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: DriftErrorCode, message: string, options: DriftErrorOptions = {}) {
    super(`[@mlops/drift] ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DriftError';
    this.code = code;
    this.details = options.details;
  }
}
