/** The exit codes of `mlops`, stable across releases (scripts and CI branch on them). */
export const EXIT_CODES = {
  /** Success. */
  OK: 0,
  /** Any other error (internal error, unreachable server, failed migration…). */
  ERROR: 1,
  /** Bad usage or bad input: unknown command or option, invalid argument, invalid URL, unsupported scheme. */
  USAGE: 2,
  /** Something named does not exist (model, version, alias, run, file, object). */
  NOT_FOUND: 3,
  /** A conflict (name taken, compare-and-set lost, nothing to roll back to) or a failed promotion gate. */
  CONFLICT: 4,
  /** The embedded store is held by another process. */
  STORE_LOCKED: 5,
  /** Missing or refused credentials. */
  AUTH: 6,
  /** Stored bytes do not match their digest. */
  CHECKSUM: 7,
  /** `mlops drift --fail-on-drift` found dataset drift. */
  DRIFT_DETECTED: 8,
  /**
   * A broken feed (missing, retyped or empty columns, no rows): not drift. `mlops drift --fail-on-drift`,
   * `mlops monitor --fail-on-crossing`, and `mlops retrain` when the decision is `blocked`.
   */
  FEED_BROKEN: 9,
  /** `mlops monitor --fail-on-crossing`: a metric from feedback is below its minimum. */
  METRIC_BELOW_MINIMUM: 10,
  /**
   * `mlops monitor --fail-on-crossing`: a metric estimated without labels (CBPE) is below its minimum, and no metric
   * from feedback is (labels, when there are enough, win over the estimate).
   */
  ESTIMATED_BELOW_MINIMUM: 11,
  /** Interrupted (Ctrl-C). */
  INTERRUPTED: 130,
} as const;

const BY_CODE: Record<string, number> = {
  INVALID_INPUT: EXIT_CODES.USAGE,
  INVALID_URL: EXIT_CODES.USAGE,
  UNSUPPORTED: EXIT_CODES.USAGE,
  NOT_CONFIGURED: EXIT_CODES.USAGE,
  // @mlops/drift's DriftError codes
  EMPTY_INPUT: EXIT_CODES.USAGE,
  INSUFFICIENT_DATA: EXIT_CODES.USAGE,
  NOT_FOUND: EXIT_CODES.NOT_FOUND,
  CONFLICT: EXIT_CODES.CONFLICT,
  GATE_FAILED: EXIT_CODES.CONFLICT,
  STORE_LOCKED: EXIT_CODES.STORE_LOCKED,
  UNAUTHORIZED: EXIT_CODES.AUTH,
  FORBIDDEN: EXIT_CODES.AUTH,
  CHECKSUM_MISMATCH: EXIT_CODES.CHECKSUM,
  ABORTED: EXIT_CODES.INTERRUPTED,
};

/** The `code` of an error (`MlopsError`, `DriftError`, a Node system error such as `ENOENT`), if it has one. */
export function errorCodeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Maps an error to its exit code: by `MlopsError.code` (see {@link EXIT_CODES}), `ENOENT` → not found, else 1. */
export function exitCodeFor(err: unknown): number {
  const code = errorCodeOf(err);
  if (code === undefined) return EXIT_CODES.ERROR;
  if (code === 'ENOENT') return EXIT_CODES.NOT_FOUND;
  if (code === 'EACCES' || code === 'EPERM') return EXIT_CODES.ERROR;
  return BY_CODE[code] ?? EXIT_CODES.ERROR;
}

const STORE_LOCKED_HINT =
  'The embedded store (pglite://…) has one owner process. To work beside a running server, pass ' +
  '--server <url> (or set MLOPS_SERVER_URL) for `mlops models …`, or move to PostgreSQL ' +
  '(--store postgres://user:pass@host/db or MLOPS_STORE) so several processes can share the store.';

/** A one-line hint that tells how to get past an error: its own `hint`, else a well-known one for its code. */
export function hintFor(err: unknown): string | undefined {
  const own = (err as { hint?: unknown } | null)?.hint; // an error that carries its own (a usage error: its --help)
  if (typeof own === 'string') return own;
  switch (errorCodeOf(err)) {
    case 'STORE_LOCKED':
      return STORE_LOCKED_HINT;
    case 'UNAUTHORIZED':
      return 'Pass an API key with --api-key or MLOPS_API_KEY.';
    case 'GATE_FAILED':
      return 'The alias was not moved. See the evidence above, or --json for the full decision.';
    case 'EADDRINUSE':
      return 'Another process listens on that port: pass another with --port (0 picks a free one), or stop that process.';
    default:
      return undefined;
  }
}

/** The JSON shape of an error with `--json`: `{ error: { code, message, exitCode, details?, hint? } }`. */
export function errorJson(err: unknown): {
  error: { code: string; message: string; exitCode: number; details?: unknown; hint?: string };
} {
  const code = errorCodeOf(err) ?? 'INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  const details = (err as { details?: unknown } | null)?.details;
  const hint = hintFor(err);
  return {
    error: {
      code,
      message,
      exitCode: exitCodeFor(err),
      ...(details !== undefined ? { details } : {}),
      ...(hint ? { hint } : {}),
    },
  };
}
