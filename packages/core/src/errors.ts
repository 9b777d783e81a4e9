/** Machine-readable codes carried by every {@link MlopsError}. */
export type MlopsErrorCode =
  | 'NOT_FOUND'
  | 'INVALID_INPUT'
  | 'VALIDATION_FAILED'
  | 'INVALID_URL'
  | 'CONFLICT'
  | 'CHECKSUM_MISMATCH'
  | 'STORE_LOCKED'
  | 'STORE_CLOSED'
  | 'MIGRATION_FAILED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'GATE_FAILED'
  | 'ABORTED'
  | 'UNSUPPORTED'
  | 'NOT_CONFIGURED'
  | 'TIMEOUT'
  | 'RATE_LIMITED'
  | 'UPSTREAM_ERROR'
  | 'INTERNAL';

/** One field-level problem, e.g. from a zod issue: `{ path: 'inputs.age', message: 'Expected number' }`. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Options accepted by {@link MlopsError}. */
export interface MlopsErrorOptions {
  /** Human-readable message; defaults to the code. */
  message?: string;
  /** The underlying error, kept as the standard `cause`. */
  cause?: unknown;
  /** Field-level problems for `INVALID_INPUT`, or any structured context. */
  details?: FieldIssue[] | Record<string, unknown>;
}

/** The one error class of mlops-ts: a `code` to branch on, a message for humans, `details` and `cause`. */
export class MlopsError extends Error {
  readonly code: MlopsErrorCode;
  readonly details: FieldIssue[] | Record<string, unknown> | undefined;

  constructor(code: MlopsErrorCode, opts: MlopsErrorOptions | string = {}) {
    const o = typeof opts === 'string' ? { message: opts } : opts;
    super(o.message ?? code, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = 'MlopsError';
    this.code = code;
    this.details = o.details;
  }
}

/** True when `err` is an {@link MlopsError}, optionally with the given code. */
export function isMlopsError(err: unknown, code?: MlopsErrorCode): err is MlopsError {
  return err instanceof MlopsError && (code === undefined || err.code === code);
}
