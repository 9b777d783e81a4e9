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
  /** When the object was last written, re-put or freshened (garbage collection keeps young objects). */
  mtime: Date;
}

/** One object of {@link ObjectStore.putMany}. */
export interface PutManyItem {
  body: ObjectBody;
  /**
   * When set, the bytes must hash to this digest (`CHECKSUM_MISMATCH` otherwise, and the batch fails).
   * @default undefined
   */
  expectedDigest?: string;
}

/** Options of the batch operations ({@link ObjectStore.putMany}, `statMany`, `checkObjects`…). */
export interface BatchOptions {
  /**
   * Objects read, written or requested at once (bodies being read, requests in flight).
   * @default 16
   */
  concurrency?: number;
  /**
   * Aborts the batch (`ABORTED`); what was already stored stays stored.
   * @default undefined
   */
  signal?: AbortSignal;
}

/** Options of {@link ObjectStore.deleteMany}. */
export interface DeleteManyOptions extends BatchOptions {
  /**
   * Delete an object only if its modification time ({@link ObjectStat.mtime}) is not after this, checked as close to
   * the delete as the store can: one written again or freshened since it was chosen is kept (and reported `false`).
   * `collectGarbage` passes its cutoff here.
   * @default undefined (delete whatever its age)
   */
  olderThan?: Date;
}

/** The state of one stored object: present with the right bytes, absent, or present with other bytes. */
export type ObjectState = 'intact' | 'missing' | 'corrupted';

/** One object of {@link ObjectStore.checkMany}: its digest and, when known, its size. */
export interface CheckItem {
  digest: string;
  size?: number;
}

/** Options of {@link ObjectStore.checkMany}. */
export interface CheckManyOptions extends BatchOptions {
  /**
   * Read every object and check its bytes against its digest; without it an object of the right size is `intact`.
   * @default false
   */
  verify?: boolean;
  /** Called with the number of bytes read while verifying. */
  onBytes?: (n: number) => void;
}

/** Options of {@link ObjectStore.putFile}. */
export interface PutFileOptions extends PutOptions {
  /** Called with every chunk read from the file (hashed and written once each), e.g. to compute statistics. */
  onChunk?: (chunk: Buffer) => void | Promise<void>;
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
  /**
   * Stores many objects, reading up to `concurrency` bodies at once; results are in the order of `items`. When it
   * resolves every object is stored as durably as {@link ObjectStore.put} makes one (a store may flush them together,
   * e.g. `fsObjectStore` packs small objects into one file and fsyncs it once). Optional: `putObjects` falls back to
   * `put` with bounded concurrency.
   */
  putMany?(items: Iterable<PutManyItem> | AsyncIterable<PutManyItem>, opts?: BatchOptions): Promise<PutResult[]>;
  /** {@link ObjectStore.stat} of many digests, in order. Optional: `statObjects` falls back to `stat`. */
  statMany?(digests: readonly string[], opts?: BatchOptions): Promise<(ObjectStat | undefined)[]>;
  /**
   * {@link ObjectStore.delete} of many digests, in order; with `olderThan`, only objects not written or freshened since
   * then. Optional: `deleteObjects` falls back to `stat` and `delete`.
   */
  deleteMany?(digests: readonly string[], opts?: DeleteManyOptions): Promise<boolean[]>;
  /**
   * Marks stored objects as just written, as putting their bytes again would, without rewriting them: their
   * {@link ObjectStat.mtime} becomes now, so garbage collection's grace period covers a writer that reuses objects
   * already stored until it records its references (git freshens an object it finds stored the same way). Results
   * are in order: `false` for a missing object (store it again). Optional: `freshenObjects` falls back to putting each
   * object's bytes again.
   */
  freshen?(digests: readonly string[], opts?: BatchOptions): Promise<boolean[]>;
  /**
   * The state of many objects, in order: by size, and by content with `verify`. Optional: `checkObjects` falls back to
   * `stat` and a verifying `get` per object.
   */
  checkMany?(items: readonly CheckItem[], opts?: CheckManyOptions): Promise<ObjectState[]>;
  /**
   * Stores the content of a local file, reading it once (hashed while it is copied). Optional: `putFileObject` falls
   * back to `put` of a read stream.
   */
  putFile?(path: string, opts?: PutFileOptions): Promise<PutResult>;
}
