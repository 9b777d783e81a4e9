import type { Readable } from 'node:stream';

/**
 * A content digest: always `sha256:` followed by 64 lowercase hex characters, e.g.
 * `sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`.
 */
export type Digest = `sha256:${string}`;

/** What {@link ObjectStore.put} accepts: a stream, an async iterable of bytes, bytes, or a string (UTF-8). */
export type ObjectBody = Readable | AsyncIterable<Uint8Array> | Uint8Array | string;

/** Options of {@link ObjectStore.put}. */
export interface PutOptions {
  /**
   * When set, the bytes must hash to this digest: otherwise the put fails with `CHECKSUM_MISMATCH` and stores nothing.
   * @default undefined (no expectation)
   */
  expectedDigest?: string;
  /**
   * Aborts the write; nothing is stored.
   * @default undefined
   */
  signal?: AbortSignal;
}

/** The result of a put: the digest of the stored bytes and their length. */
export interface PutResult {
  digest: Digest;
  size: number;
}

/** Metadata of a stored object. */
export interface ObjectStat {
  digest: Digest;
  size: number;
  /** When the object was last written or re-put (garbage collection keeps young objects). */
  mtime: Date;
}

/** Options of {@link ObjectStore.cleanTemp}. */
export interface CleanTempOptions {
  /** Only temporary files older than this many milliseconds are removed. */
  olderThanMs: number;
  /**
   * Report what would be removed without removing it.
   * @default false
   */
  dryRun?: boolean;
}

/** Result of {@link ObjectStore.cleanTemp}. */
export interface CleanTempResult {
  /** Names of the temporary files removed (or that would be removed in a dry run). */
  removed: string[];
  bytes: number;
}

/**
 * A content-addressed blob store: objects are named by the sha256 of their bytes, written atomically and
 * verified when read. Implemented by `fsObjectStore` here and by remotes in plugins (S3).
 */
export interface ObjectStore {
  /** Short description for messages, e.g. `fs:/data/.mlops/objects`. */
  readonly name: string;
  /**
   * Streams `body` into the store and returns its digest and size. Idempotent: the same bytes give the same digest.
   * Putting bytes that are already stored rewrites the stored copy (atomically), which repairs a damaged one.
   */
  put(body: ObjectBody, opts?: PutOptions): Promise<PutResult>;
  /**
   * Streams an object. The stream is verified as it flows: it fails with `CHECKSUM_MISMATCH` at the end when the
   * bytes do not match the digest, and with `NOT_FOUND` when the object is missing. Consumers that must not act on
   * bad bytes use {@link ObjectStore.readBytes} or wait for the stream to end before acting.
   */
  get(digest: string): Readable;
  /** Reads a whole object into memory and verifies it before returning (`CHECKSUM_MISMATCH`, `NOT_FOUND`). */
  readBytes(digest: string): Promise<Buffer>;
  /** True when the object exists. */
  has(digest: string): Promise<boolean>;
  /** Size and modification time, or `undefined` when the object is missing. */
  stat(digest: string): Promise<ObjectStat | undefined>;
  /** Removes an object; true when it existed. */
  delete(digest: string): Promise<boolean>;
  /** Every stored digest (in no particular order). Temporary and partial writes are never listed. */
  list(): AsyncIterable<Digest>;
  /** Removes leftovers of interrupted writes older than a grace period (optional: stores without temp files skip it). */
  cleanTemp?(opts: CleanTempOptions): Promise<CleanTempResult>;
}
