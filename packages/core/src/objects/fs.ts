import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  type BigIntStats,
  closeSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  type Stats,
  statSync,
} from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MlopsError } from '../errors.js';
import { concurrencyOf, mapLimit } from './batch.js';
import { checksumMismatch, createHashingTransform, digestHex, digestOf, formatDigest, parseDigest } from './digest.js';
import { assertSourceFile, hashCopyFile, writeFully } from './file-io.js';
import type {
  BatchOptions,
  CheckItem,
  CheckManyOptions,
  CleanTempOptions,
  CleanTempResult,
  DeleteManyOptions,
  Digest,
  ObjectBody,
  ObjectStat,
  ObjectState,
  ObjectStore,
  PutFileOptions,
  PutManyItem,
  PutOptions,
  PutResult,
} from './object-store.js';
import { encodePackIndex, newPackName, PACK_NAME_RE, type PackEntry, PackIndex, packTimeOf } from './pack.js';

/** How {@link FsObjectStore.putMany} packs small objects. */
export interface FsPackOptions {
  /**
   * Objects of at most this many bytes go into a pack; larger ones are stored as loose files.
   * @default 262_144 (256 KiB)
   */
  maxObjectBytes?: number;
  /**
   * A batch packs its small objects only when it has at least this many (fewer are written as loose files), as git
   * unpacks pushes of fewer than 100 objects.
   * @default 100
   */
  minObjects?: number;
  /**
   * A pack is closed and a new one started beyond this size.
   * @default 268_435_456 (256 MiB)
   */
  maxPackBytes?: number;
}

/** Options of {@link fsObjectStore}. */
export interface FsObjectStoreOptions {
  /**
   * Folder holding the objects (created on first write). A relative path resolves against the working directory.
   * @default '.mlops/objects'
   */
  dir?: string;
  /**
   * Flush each object to disk (fsync of the file and its folder) before it becomes visible; a pack is flushed once
   * for all its objects.
   * @default true
   */
  fsync?: boolean;
  /**
   * When the store is first used (its first operation of any kind), remove the temp files of interrupted writes
   * (`<dir>/tmp/*.partial`, left by a writer that was killed or crashed mid-put) whose modification time is older than
   * this many milliseconds, and packs whose index was never written; `false` leaves them to `collectGarbage`. A live
   * writer touches its temp file with every chunk it writes, so only a writer that has written nothing for this long
   * can lose its temp file (its put then fails, nothing visible is damaged); writers in this process are never swept,
   * whatever their age. Keep it well above the longest stall of a writer sharing the folder (e.g. over a network file
   * system).
   * @default 3_600_000 (one hour, as the garbage collector's grace period)
   */
  cleanTempOlderThanMs?: number | false;
  /**
   * Packing of small objects by {@link FsObjectStore.putMany} (`false`: every object is a loose file).
   * @default `{ maxObjectBytes: 256 KiB, minObjects: 100, maxPackBytes: 256 MiB }`
   */
  pack?: false | FsPackOptions;
}

/** Where an object of an {@link FsObjectStore} is, and the identity of the file holding it (see `inspect`). */
export interface FsObjectLocation {
  /** The object's size in bytes. */
  size: number;
  /** The loose file or the pack holding it. */
  file: string;
  /** True when `file` is a pack. */
  packed: boolean;
  /** `<inode>:<bytes>:<mtime ns>:<ctime ns>` of `file`: any write, chmod, rename or replacement of it changes this. */
  identity: string;
  /** The later of `file`'s mtime and ctime, in nanoseconds since the epoch. */
  changedNs: bigint;
  /** False when the file system reported whole seconds for both timestamps (a coarse clock, e.g. FAT or ext3). */
  subsecond: boolean;
}

/** An {@link ObjectStore} on the local file system. */
export interface FsObjectStore extends ObjectStore {
  /** Absolute path of the store's folder. */
  readonly dir: string;
  /**
   * Where the object with this digest lives as a loose file (`<dir>/ab/cdef…`), whether or not it exists: objects
   * stored in a pack have no file of their own.
   */
  pathOf(digest: string): string;
  /**
   * Removes temp files of interrupted writes (`<dir>/tmp/*.partial`) and packs without an index older than `olderThanMs`
   * (by modification time), never those of puts in progress in this process.
   */
  cleanTemp(opts: CleanTempOptions): Promise<CleanTempResult>;
  putMany(items: Iterable<PutManyItem> | AsyncIterable<PutManyItem>, opts?: BatchOptions): Promise<PutResult[]>;
  statMany(digests: readonly string[], opts?: BatchOptions): Promise<(ObjectStat | undefined)[]>;
  deleteMany(digests: readonly string[], opts?: DeleteManyOptions): Promise<boolean[]>;
  /**
   * Sets the modification time of each object's loose file, or of the pack holding it, to now (a packed object
   * freshens its whole pack, as git does); a file this process may not touch (another user's) is rewritten instead.
   */
  freshen(digests: readonly string[], opts?: BatchOptions): Promise<boolean[]>;
  checkMany(items: readonly CheckItem[], opts?: CheckManyOptions): Promise<ObjectState[]>;
  putFile(path: string, opts?: PutFileOptions): Promise<PutResult>;
  /**
   * Where each object is and the identity of the file holding it, without reading any object: what a stat cache
   * compares to trust an object it verified earlier (`undefined` for a missing object).
   */
  inspect(digests: readonly string[]): Promise<(FsObjectLocation | undefined)[]>;
}

const CHUNK = 1 << 20;
const TMP_DIR = 'tmp';
const PACK_DIR = 'packs';
const TMP_SUFFIX = '.partial';
const SHARD_RE = /^[0-9a-f]{2}$/;
const REST_RE = /^[0-9a-f]{62}$/;
const DEFAULT_CLEAN_TEMP_MS = 3_600_000;
/** Synchronous file-system calls run in slices of this many, with a turn of the event loop between slices. */
const SLICE = 256;

/**
 * Temp files of puts in progress in this process (absolute paths), shared by every store handle on any folder: no
 * sweep removes them, whatever their age.
 */
const liveTemps = new Set<string>();

type FileHandle = Awaited<ReturnType<typeof open>>;

/**
 * Open packs (path → fd), least recently used first, shared by every store handle: reading thousands of small packed
 * objects costs one `pread` each instead of an open, a read and a close.
 */
const packFds = new Map<string, number>();
const MAX_PACK_FDS = 32;

function packFd(path: string): number {
  const fd = packFds.get(path);
  if (fd !== undefined) {
    packFds.delete(path);
    packFds.set(path, fd);
    return fd;
  }
  const opened = openSync(path, 'r');
  packFds.set(path, opened);
  if (packFds.size > MAX_PACK_FDS) {
    const [oldest, oldFd] = packFds.entries().next().value as [string, number];
    packFds.delete(oldest);
    closeSync(oldFd);
  }
  return opened;
}

function closePackFd(path: string): void {
  const fd = packFds.get(path);
  if (fd === undefined) return;
  packFds.delete(path);
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/** Reads `size` bytes at `offset` of an open pack (synchronously: small objects, usually in the page cache). */
function preadSync(fd: number, offset: number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  let done = 0;
  while (done < size) {
    const n = readSync(fd, buf, done, size - done, offset + done);
    if (n === 0) break;
    done += n;
  }
  return done === size ? buf : buf.subarray(0, done);
}

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/** `statSync` of an object's loose path: undefined when it is absent, or when its shard is not a folder (ENOTDIR). */
function statLoosePath(path: string): Stats | undefined;
function statLoosePath(path: string, bigint: true): BigIntStats | undefined;
function statLoosePath(path: string, bigint?: true): Stats | BigIntStats | undefined {
  try {
    return bigint ? statSync(path, { bigint: true, throwIfNoEntry: false }) : statSync(path, { throwIfNoEntry: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** A writable over an open file handle that fsyncs (optionally) before finishing and leaves closing to the caller. */
function fileSink(fh: FileHandle, fsync: boolean): Writable {
  return new Writable({
    highWaterMark: CHUNK,
    write(chunk: Buffer, _enc, cb) {
      writeFully(fh, chunk).then(() => cb(), cb);
    },
    writev(chunks, cb) {
      writeFully(fh, Buffer.concat(chunks.map((c) => c.chunk as Buffer))).then(() => cb(), cb);
    },
    final(cb) {
      (fsync ? fh.sync() : Promise.resolve()).then(() => cb(), cb);
    },
  });
}

/** The first bytes of a body: all of it when it has at most `max` bytes, else a stream of the whole body. */
async function headOf(
  body: ObjectBody,
  max: number,
): Promise<{ bytes: Buffer; rest?: undefined } | { bytes?: undefined; rest: ObjectBody }> {
  if (typeof body === 'string') body = Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) {
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return buf.length <= max ? { bytes: buf } : { rest: buf };
  }
  const it = (body as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  for (;;) {
    const r = await it.next();
    if (r.done) return { bytes: head.length === 1 ? (head[0] as Buffer) : Buffer.concat(head, size) };
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value, 'utf8') : Buffer.from(r.value);
    head.push(chunk);
    size += chunk.length;
    if (size > max) {
      async function* rest(): AsyncGenerator<Uint8Array> {
        for (let c = head.shift(); c !== undefined; c = head.shift()) yield c;
        for (;;) {
          const n = await it.next();
          if (n.done) return;
          yield typeof n.value === 'string' ? Buffer.from(n.value, 'utf8') : n.value;
        }
      }
      return { rest: rest() };
    }
  }
}

interface LoadedPack {
  name: string;
  index: PackIndex;
  packPath: string;
  idxPath: string;
}

/**
 * A content-addressed object store in a local folder: `<dir>/ab/cdef…` named by sha256, written as a stream to a
 * temporary file under `<dir>/tmp/` (hashed on the fly, fsynced) and renamed into place, so a reader never sees a
 * partial object, even when the writer is killed. {@link FsObjectStore.putMany} packs batches of small objects into
 * `<dir>/packs/<name>.pack` + `.idx` (written and fsynced once, then renamed into place, index last); reads look for a
 * loose file first, then in the packs, newest first. Every read is verified against the digest either way.
 */
export function fsObjectStore(opts: FsObjectStoreOptions = {}): FsObjectStore {
  const dir = resolve(opts.dir ?? '.mlops/objects');
  const doFsync = opts.fsync ?? true;
  const tmpDir = join(dir, TMP_DIR);
  const packDir = join(dir, PACK_DIR);
  const name = `fs:${dir}`;
  const sweepOlderThanMs = opts.cleanTempOlderThanMs ?? DEFAULT_CLEAN_TEMP_MS;
  const packing =
    opts.pack === false
      ? undefined
      : {
          maxObjectBytes: opts.pack?.maxObjectBytes ?? 256 * 1024,
          minObjects: opts.pack?.minObjects ?? 100,
          maxPackBytes: opts.pack?.maxPackBytes ?? 256 * 1024 * 1024,
        };
  let opened: Promise<void> | undefined;
  /** Runs once, before the first operation: removes abandoned temp files. A failure here never fails an operation. */
  const sweepOnce = (): Promise<void> => {
    opened ??=
      sweepOlderThanMs === false
        ? Promise.resolve()
        : cleanTemp({ olderThanMs: sweepOlderThanMs }).then(
            () => {},
            () => {},
          );
    return opened;
  };

  const pathOf = (digest: string): string => {
    const hex = digestHex(parseDigest(digest));
    return join(dir, hex.slice(0, 2), hex.slice(2));
  };
  const notFound = (digest: string) =>
    new MlopsError('NOT_FOUND', { message: `object ${digest} not found in ${name}`, details: { digest } });

  async function syncDir(path: string): Promise<void> {
    if (!doFsync) return;
    let fh: FileHandle | undefined;
    try {
      fh = await open(path, 'r');
      await fh.sync();
    } catch {
      // Directory fsync is not supported everywhere (e.g. some network file systems); the rename is still atomic.
    } finally {
      await fh?.close().catch(() => {});
    }
  }

  // ---- packs -------------------------------------------------------------------------------------------------------

  /** The packs known to this handle, newest first. */
  let packs: LoadedPack[] = [];
  let refreshing: Promise<void> | undefined;

  /** Re-reads the list of packs (other processes add and rewrite them); concurrent callers share one refresh. */
  function refreshPacks(): Promise<void> {
    refreshing ??= (async () => {
      try {
        const names = await readdir(packDir).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return [] as string[];
          throw err;
        });
        const present = new Set(
          names.filter((n) => n.endsWith('.idx') && PACK_NAME_RE.test(n.slice(0, -4))).map((n) => n.slice(0, -4)),
        );
        const kept = packs.filter((p) => present.has(p.name));
        for (const p of packs) if (!present.has(p.name)) closePackFd(p.packPath);
        const known = new Set(kept.map((p) => p.name));
        for (const n of present) {
          if (known.has(n)) continue;
          const idxPath = join(packDir, `${n}.idx`);
          try {
            const index = PackIndex.decode(await readFile(idxPath));
            kept.push({ name: n, index, idxPath, packPath: join(packDir, `${n}.pack`) });
          } catch {
            // A damaged or vanished index: its objects count as missing (versioning stores them again).
          }
        }
        packs = kept.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
      } finally {
        refreshing = undefined;
      }
    })();
    return refreshing;
  }

  const hashOf = (d: Digest) => Buffer.from(digestHex(d), 'hex');

  function findPacked(d: Digest): { pack: LoadedPack; entry: PackEntry } | undefined {
    const h = hashOf(d);
    for (const pack of packs) {
      const entry = pack.index.find(h);
      if (entry) return { pack, entry };
    }
    return undefined;
  }

  /** Looks in the known packs, then once more after re-reading the pack list. */
  async function findPackedFresh(d: Digest): Promise<{ pack: LoadedPack; entry: PackEntry } | undefined> {
    const hit = findPacked(d);
    if (hit) return hit;
    await refreshPacks();
    return findPacked(d);
  }

  /** The raw bytes of a packed object (unverified); a pack removed meanwhile by a rewrite is looked up again. */
  async function readPackedRaw(d: Digest): Promise<Buffer | undefined> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const loc = await findPackedFresh(d);
      if (!loc) return undefined;
      let fd: number;
      try {
        fd = packFd(loc.pack.packPath);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        await refreshPacks();
        continue;
      }
      try {
        return preadSync(fd, loc.entry.offset, loc.entry.size);
      } catch (err) {
        throw unreadablePack(d, loc.pack, err);
      }
    }
    return undefined;
  }

  /** A packed object whose pack cannot be read (replaced by a folder, an I/O error): damaged, like wrong bytes. */
  function unreadablePack(d: Digest, pack: LoadedPack, err: unknown): MlopsError {
    const code = (err as NodeJS.ErrnoException)?.code ?? String(err);
    return new MlopsError('CHECKSUM_MISMATCH', {
      message: `object ${d} cannot be read from ${pack.packPath} in ${name} (${code}): the pack is damaged`,
      details: { expected: d, source: pack.packPath },
      cause: err,
    });
  }

  /** A pack being written: objects are appended to `tmp/*.partial` in 1 MiB writes; `finish` makes it visible. */
  class PackWriter {
    readonly name: string;
    readonly entries: PackEntry[] = [];
    size = 0;
    private readonly tmpPack = join(tmpDir, `${process.pid}-${randomUUID()}${TMP_SUFFIX}`);
    private readonly tmpIdx = join(tmpDir, `${process.pid}-${randomUUID()}${TMP_SUFFIX}`);
    private readonly fh: Promise<FileHandle>;
    private buf = Buffer.allocUnsafe(CHUNK);
    private filled = 0;
    private writing: Promise<void> = Promise.resolve();

    constructor(ms = Date.now()) {
      this.name = newPackName(ms, randomBytes(8).toString('hex'));
      liveTemps.add(this.tmpPack);
      liveTemps.add(this.tmpIdx);
      this.fh = mkdir(tmpDir, { recursive: true }).then(() => open(this.tmpPack, 'wx', 0o644));
      this.fh.catch(() => {});
    }

    private flush(): Promise<void> {
      if (this.filled === 0) return this.writing;
      const full = this.buf.subarray(0, this.filled);
      this.buf = Buffer.allocUnsafe(CHUNK);
      this.filled = 0;
      this.writing = this.writing.then(async () => writeFully(await this.fh, full));
      return this.writing;
    }

    /** Appends an object (its place is taken at once; the returned promise is the write's backpressure). */
    add(hash: Buffer, bytes: Uint8Array): Promise<void> {
      this.entries.push({ hash, offset: this.size, size: bytes.length });
      this.size += bytes.length;
      let off = 0;
      let pending: Promise<void> | undefined;
      while (off < bytes.length) {
        const n = Math.min(bytes.length - off, CHUNK - this.filled);
        this.buf.set(bytes.subarray(off, off + n), this.filled);
        this.filled += n;
        off += n;
        if (this.filled === CHUNK) pending = this.flush();
      }
      return pending ?? Promise.resolve();
    }

    /** Flushes and renames the pack and its index into `packs/` (the index last); the caller fsyncs the folder. */
    async finish(): Promise<void> {
      await this.flush();
      const fh = await this.fh;
      if (doFsync) await fh.sync();
      await fh.close();
      const idx = await open(this.tmpIdx, 'wx', 0o644);
      try {
        await writeFully(idx, encodePackIndex(this.entries));
        if (doFsync) await idx.sync();
      } finally {
        await idx.close();
      }
      await mkdir(packDir, { recursive: true });
      await chmod(this.tmpPack, 0o444);
      await chmod(this.tmpIdx, 0o444);
      await rename(this.tmpPack, join(packDir, `${this.name}.pack`));
      await rename(this.tmpIdx, join(packDir, `${this.name}.idx`));
      this.release();
    }

    async abort(): Promise<void> {
      await this.writing.catch(() => {});
      await this.fh.then((fh) => fh.close()).catch(() => {});
      await unlink(this.tmpPack).catch(() => {});
      await unlink(this.tmpIdx).catch(() => {});
      this.release();
    }

    private release() {
      liveTemps.delete(this.tmpPack);
      liveTemps.delete(this.tmpIdx);
    }
  }

  // ---- single objects ----------------------------------------------------------------------------------------------

  async function put(body: ObjectBody, putOpts: PutOptions = {}): Promise<PutResult> {
    const expected = putOpts.expectedDigest === undefined ? undefined : parseDigest(putOpts.expectedDigest);
    putOpts.signal?.throwIfAborted();
    await sweepOnce();
    await mkdir(tmpDir, { recursive: true });
    const tmpPath = join(tmpDir, `${process.pid}-${randomUUID()}${TMP_SUFFIX}`);
    let renamed = false;
    liveTemps.add(tmpPath);
    try {
      const hasher = createHashingTransform();
      const fh = await open(tmpPath, 'wx', 0o644);
      try {
        const source: Readable | AsyncIterable<Uint8Array> =
          typeof body === 'string' || body instanceof Uint8Array
            ? Readable.from([typeof body === 'string' ? Buffer.from(body, 'utf8') : body])
            : body;
        await pipeline(source, hasher, fileSink(fh, doFsync), putOpts.signal ? { signal: putOpts.signal } : {});
      } finally {
        await fh.close();
      }
      const digest = hasher.digest();
      const size = hasher.bytes;
      if (expected !== undefined && digest !== expected) {
        throw checksumMismatch(expected, digest, size, `put into ${name}`);
      }
      await moveIntoPlace(tmpPath, digest);
      renamed = true;
      return { digest, size };
    } catch (err) {
      if (putOpts.signal?.aborted && !(err instanceof MlopsError)) {
        throw new MlopsError('ABORTED', { message: `put into ${name} aborted`, cause: err });
      }
      throw err;
    } finally {
      if (!renamed) await unlink(tmpPath).catch(() => {});
      liveTemps.delete(tmpPath);
    }
  }

  /** Renames a complete, flushed temp file to its content address (read-only), then flushes the shard folder. */
  async function moveIntoPlace(tmpPath: string, digest: Digest): Promise<void> {
    const final = pathOf(digest);
    const shard = join(dir, digestHex(digest).slice(0, 2));
    await mkdir(shard, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST' && err.code !== 'ENOTDIR') throw err;
      // Something that is not a folder has the shard's name: never removed (it may be someone's file).
      throw new MlopsError('CONFLICT', {
        message: `cannot store ${digest} in ${name}: ${shard} is not a folder; move it away`,
        details: { path: shard, digest },
        cause: err,
      });
    });
    // Always rename, even when the object exists: this heals a damaged copy and refreshes its mtime, so garbage
    // collection's grace period covers the new writer. Concurrent puts of the same bytes rename identical files.
    await chmod(tmpPath, 0o444);
    try {
      await rename(tmpPath, final);
    } catch (err) {
      // A folder at the object's path is no object (reads and `has` ignore it): the object takes its place.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      await rm(final, { recursive: true, force: true });
      await rename(tmpPath, final);
    }
    await syncDir(shard);
  }

  async function putFile(path: string, o: PutFileOptions = {}): Promise<PutResult> {
    const expected = o.expectedDigest === undefined ? undefined : parseDigest(o.expectedDigest);
    o.signal?.throwIfAborted();
    await assertSourceFile(path, name);
    await sweepOnce();
    await mkdir(tmpDir, { recursive: true });
    const tmpPath = join(tmpDir, `${process.pid}-${randomUUID()}${TMP_SUFFIX}`);
    let renamed = false;
    liveTemps.add(tmpPath);
    try {
      const fh = await open(tmpPath, 'wx', 0o644);
      let res: { hash: Buffer; size: number };
      try {
        res = await hashCopyFile(path, {
          dest: fh,
          // The disk writes while the rest of the file is read and hashed; the fsync below has little left to do.
          ...(doFsync ? { flushEvery: 32 << 20 } : {}),
          ...(o.onChunk ? { onChunk: o.onChunk } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
        });
        if (doFsync) await fh.sync();
      } finally {
        await fh.close();
      }
      const digest: Digest = `sha256:${res.hash.toString('hex')}`;
      if (expected !== undefined && digest !== expected) {
        throw checksumMismatch(expected, digest, res.size, `put of ${path} into ${name}`);
      }
      await moveIntoPlace(tmpPath, digest);
      renamed = true;
      return { digest, size: res.size };
    } finally {
      if (!renamed) await unlink(tmpPath).catch(() => {});
      liveTemps.delete(tmpPath);
    }
  }

  function get(digest: string): Readable {
    const d = parseDigest(digest);
    const file = pathOf(d);
    async function* read(): AsyncGenerator<Buffer> {
      let fh: FileHandle;
      await sweepOnce();
      try {
        // A packed object has no loose file: a synchronous stat says so for far less than a failing async open. Only a
        // regular file is an object (as for `has`): a folder or a FIFO at its path is not read (a FIFO would block).
        if (!statLoosePath(file)?.isFile()) {
          throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
        }
        fh = await open(file, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        const bytes = await readPackedRaw(d);
        if (!bytes) throw notFound(d);
        const actual = digestOf(bytes);
        if (actual !== d) throw checksumMismatch(d, actual, bytes.length, `${name}`);
        yield bytes;
        return;
      }
      try {
        const hash = createHash('sha256');
        let size = 0;
        for await (const chunk of fh.createReadStream({ autoClose: false, highWaterMark: CHUNK })) {
          hash.update(chunk as Buffer);
          size += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
        const actual = formatDigest(hash);
        if (actual !== d) throw checksumMismatch(d, actual, size, `${name}`);
      } finally {
        await fh.close().catch(() => {});
      }
    }
    return Readable.from(read(), { objectMode: false, highWaterMark: CHUNK });
  }

  async function readBytes(digest: string): Promise<Buffer> {
    const d = parseDigest(digest);
    await sweepOnce();
    let buf: Buffer | undefined;
    try {
      const s = statLoosePath(pathOf(d));
      // Only a regular file is an object (as for `has`): a folder or a FIFO at its path is not read (a FIFO would block).
      if (!s?.isFile()) throw Object.assign(new Error(`ENOENT: ${pathOf(d)}`), { code: 'ENOENT' });
      // A small object is read synchronously, as checkMany does: an async read costs four trips through a busy event
      // loop (open, stat, read, close), which made a serving model's swap to a new version wait about 20 ms for its
      // manifest and files under load. A large one is read without holding the loop.
      buf = s.size <= CHUNK ? readFileSync(pathOf(d)) : await readFile(pathOf(d));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      buf = await readPackedRaw(d);
      if (!buf) throw notFound(d);
    }
    const actual = digestOf(buf);
    if (actual !== d) throw checksumMismatch(d, actual, buf.length, name);
    return buf;
  }

  async function statObject(digest: string): Promise<ObjectStat | undefined> {
    const d = parseDigest(digest);
    await sweepOnce();
    const s = await stat(pathOf(d)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
      throw err;
    });
    if (s?.isFile()) return { digest: d, size: s.size, mtime: s.mtime };
    const loc = await findPackedFresh(d);
    if (!loc) return undefined;
    const ps = await stat(loc.pack.packPath).catch(() => undefined);
    if (!ps) return undefined;
    return { digest: d, size: loc.entry.size, mtime: ps.mtime };
  }

  async function* list(): AsyncGenerator<Digest> {
    await sweepOnce();
    const shards = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    const loose = new Set<string>();
    for (const shard of shards.sort()) {
      if (!SHARD_RE.test(shard)) continue;
      const names = await readdir(join(dir, shard)).catch(() => [] as string[]);
      for (const rest of names.sort()) {
        if (!REST_RE.test(rest)) continue;
        loose.add(`${shard}${rest}`);
        yield `sha256:${shard}${rest}`;
      }
    }
    await refreshPacks();
    const packed = new Set<string>();
    for (const pack of [...packs]) {
      for (const e of pack.index.entries()) {
        const hex = e.hash.toString('hex');
        if (loose.has(hex) || packed.has(hex)) continue;
        packed.add(hex);
        yield `sha256:${hex}`;
      }
    }
  }

  async function cleanTemp(o: CleanTempOptions): Promise<CleanTempResult> {
    const cutoff = Date.now() - o.olderThanMs;
    const removed: string[] = [];
    let bytes = 0;
    const sweep = async (folder: string, names: string[], label: (n: string) => string) => {
      for (const n of names.sort()) {
        const p = join(folder, n);
        if (liveTemps.has(p)) continue;
        const s = await stat(p).catch(() => undefined);
        if (!s?.isFile() || s.mtimeMs > cutoff) continue;
        if (!o.dryRun) {
          const ok = await unlink(p).then(
            () => true,
            () => false,
          );
          if (!ok) continue;
        }
        removed.push(label(n));
        bytes += s.size;
      }
    };
    // Only what the store writes there: the folder may be shared (e.g. `--objects .`) and hold other files.
    const temps = (await readdir(tmpDir).catch(() => [] as string[])).filter((n) => n.endsWith(TMP_SUFFIX));
    await sweep(tmpDir, temps, (n) => n);
    // A pack whose index was never renamed into place (its writer died between the two renames) is unreachable.
    const inPacks = await readdir(packDir).catch(() => [] as string[]);
    const idx = new Set(inPacks.filter((n) => n.endsWith('.idx')).map((n) => n.slice(0, -4)));
    const orphans = inPacks.filter(
      (n) => n.endsWith('.pack') && PACK_NAME_RE.test(n.slice(0, -5)) && !idx.has(n.slice(0, -5)),
    );
    await sweep(packDir, orphans, (n) => `${PACK_DIR}/${n}`);
    return { removed, bytes };
  }

  // ---- batches -----------------------------------------------------------------------------------------------------

  /** The shard folders that exist: a digest whose shard is absent has no loose file (no need to stat it). */
  function looseShards(): Set<string> {
    try {
      return new Set(readdirSync(dir).filter((n) => SHARD_RE.test(n)));
    } catch {
      return new Set();
    }
  }

  const statLoose = (d: Digest, shards: Set<string>): BigIntStats | undefined =>
    shards.has(digestHex(d).slice(0, 2)) ? statLoosePath(pathOf(d), true) : undefined;

  async function putMany(
    items: Iterable<PutManyItem> | AsyncIterable<PutManyItem>,
    o: BatchOptions = {},
  ): Promise<PutResult[]> {
    const concurrency = concurrencyOf(o.concurrency);
    o.signal?.throwIfAborted();
    await sweepOnce();
    if (!packing) {
      return mapLimit(
        items,
        concurrency,
        (it) =>
          put(it.body, {
            ...(it.expectedDigest === undefined ? {} : { expectedDigest: it.expectedDigest }),
            ...(o.signal ? { signal: o.signal } : {}),
          }),
        o.signal,
      );
    }
    const results: PutResult[] = [];
    const shards = looseShards();
    const seen = new Set<string>();
    /** Small objects held until the batch has enough of them to be packed. */
    const held: { hash: Buffer; bytes: Buffer }[] = [];
    let heldBytes = 0;
    const writers: PackWriter[] = [];
    let writer: PackWriter | undefined;
    try {
      await mapLimit(
        items,
        concurrency,
        async (item, i) => {
          const expected = item.expectedDigest === undefined ? undefined : parseDigest(item.expectedDigest);
          const head = await headOf(item.body, packing.maxObjectBytes);
          if (!head.bytes) {
            results[i] = await put(head.rest, {
              ...(expected ? { expectedDigest: expected } : {}),
              ...(o.signal ? { signal: o.signal } : {}),
            });
            return;
          }
          const bytes = head.bytes;
          const hash = createHash('sha256').update(bytes).digest();
          const digest: Digest = `sha256:${hash.toString('hex')}`;
          if (expected !== undefined && digest !== expected) {
            throw checksumMismatch(expected, digest, bytes.length, `put into ${name}`);
          }
          results[i] = { digest, size: bytes.length };
          if (seen.has(digest)) return;
          seen.add(digest);
          // A loose copy is read before any packed one: replace it (this is how a damaged one is repaired).
          if (statLoose(digest, shards)) {
            await put(bytes, { expectedDigest: digest });
            return;
          }
          if (!writer) {
            held.push({ hash, bytes });
            heldBytes += bytes.length;
            if (held.length < packing.minObjects && heldBytes < 16 * CHUNK) return;
            writer = new PackWriter();
            writers.push(writer);
            const flushes = held.splice(0).map((h) => (writer as PackWriter).add(h.hash, h.bytes));
            await Promise.all(flushes);
            return;
          }
          if (writer.size > 0 && writer.size + bytes.length > packing.maxPackBytes) {
            writer = new PackWriter();
            writers.push(writer);
          }
          await writer.add(hash, bytes);
        },
        o.signal,
      );
      if (writers.length === 0) {
        // Too few small objects for a pack: loose files, each flushed as put flushes it.
        await mapLimit(held, concurrency, (h) => put(h.bytes), o.signal);
      } else {
        for (const w of writers) await w.finish();
        await syncDir(packDir);
        await refreshPacks();
      }
    } catch (err) {
      for (const w of writers) await w.abort();
      if (o.signal?.aborted && !(err instanceof MlopsError)) {
        throw new MlopsError('ABORTED', { message: `putMany into ${name} aborted`, cause: err });
      }
      throw err;
    }
    return results;
  }

  async function statMany(digests: readonly string[], o: BatchOptions = {}): Promise<(ObjectStat | undefined)[]> {
    const ds = digests.map(parseDigest);
    await sweepOnce();
    await refreshPacks();
    const shards = looseShards();
    const packMtime = new Map<string, Date | undefined>();
    const out: (ObjectStat | undefined)[] = [];
    for (let i = 0; i < ds.length; i++) {
      if (i % SLICE === SLICE - 1) await yieldToLoop();
      o.signal?.throwIfAborted();
      const d = ds[i] as Digest;
      const s = statLoose(d, shards);
      if (s?.isFile()) {
        out.push({ digest: d, size: Number(s.size), mtime: s.mtime });
        continue;
      }
      const loc = findPacked(d);
      if (!loc) {
        out.push(undefined);
        continue;
      }
      if (!packMtime.has(loc.pack.name)) {
        packMtime.set(loc.pack.name, statSync(loc.pack.packPath, { throwIfNoEntry: false })?.mtime);
      }
      const mtime = packMtime.get(loc.pack.name);
      out.push(mtime ? { digest: d, size: loc.entry.size, mtime } : undefined);
    }
    return out;
  }

  async function inspect(digests: readonly string[]): Promise<(FsObjectLocation | undefined)[]> {
    const ds = digests.map(parseDigest);
    await sweepOnce();
    await refreshPacks();
    const shards = looseShards();
    const describe = (s: BigIntStats) => {
      const mtimeNs = s.mtimeNs;
      const ctimeNs = s.ctimeNs;
      return {
        identity: `${s.ino}:${s.size}:${mtimeNs}:${ctimeNs}`,
        // biome-ignore lint/complexity/useMathMinMax: bigints (Math.max takes numbers only)
        changedNs: mtimeNs > ctimeNs ? mtimeNs : ctimeNs,
        subsecond: mtimeNs % 1_000_000_000n !== 0n || ctimeNs % 1_000_000_000n !== 0n,
      };
    };
    // One stat per pack, shared by all its objects.
    const packInfo = new Map<string, ReturnType<typeof describe> | undefined>();
    const out: (FsObjectLocation | undefined)[] = [];
    for (let i = 0; i < ds.length; i++) {
      if (i % SLICE === SLICE - 1) await yieldToLoop();
      const d = ds[i] as Digest;
      const s = statLoose(d, shards);
      if (s?.isFile()) {
        out.push({ size: Number(s.size), file: pathOf(d), packed: false, ...describe(s) });
        continue;
      }
      const loc = findPacked(d);
      if (!loc) {
        out.push(undefined);
        continue;
      }
      let info = packInfo.get(loc.pack.name);
      if (!packInfo.has(loc.pack.name)) {
        const ps = statSync(loc.pack.packPath, { bigint: true, throwIfNoEntry: false });
        info = ps ? describe(ps) : undefined;
        packInfo.set(loc.pack.name, info);
      }
      out.push(info ? { size: loc.entry.size, file: loc.pack.packPath, packed: true, ...info } : undefined);
    }
    return out;
  }

  async function checkMany(items: readonly CheckItem[], o: CheckManyOptions = {}): Promise<ObjectState[]> {
    const ds = items.map((it) => parseDigest(it.digest));
    const stats = await statMany(ds, o);
    const states: ObjectState[] = stats.map((s, i) => {
      if (!s) return 'missing';
      const size = (items[i] as CheckItem).size;
      return size !== undefined && s.size !== size ? 'corrupted' : 'intact';
    });
    if (!o.verify) return states;
    const shards = looseShards();
    // Packed objects: one open of each pack, its objects read in offset order.
    const byPack = new Map<LoadedPack, { i: number; entry: PackEntry }[]>();
    const loose: number[] = [];
    for (let i = 0; i < ds.length; i++) {
      if (states[i] !== 'intact') continue;
      const d = ds[i] as Digest;
      if (statLoose(d, shards)?.isFile()) {
        loose.push(i);
        continue;
      }
      const loc = findPacked(d);
      if (!loc) {
        states[i] = 'missing';
        continue;
      }
      const list = byPack.get(loc.pack) ?? [];
      list.push({ i, entry: loc.entry });
      byPack.set(loc.pack, list);
    }
    for (const [pack, list] of byPack) {
      list.sort((a, b) => a.entry.offset - b.entry.offset);
      let fd: number;
      try {
        fd = packFd(pack.packPath);
      } catch {
        for (const { i } of list) states[i] = 'missing';
        continue;
      }
      // Small objects, read with one pread each (synchronously, in slices).
      for (let k = 0; k < list.length; k++) {
        if (k % SLICE === SLICE - 1) await yieldToLoop();
        o.signal?.throwIfAborted();
        const { i, entry } = list[k] as { i: number; entry: PackEntry };
        let bytes: Buffer;
        try {
          bytes = preadSync(fd, entry.offset, entry.size);
        } catch {
          // A pack that cannot be read (replaced by a folder, an I/O error): its objects are damaged.
          states[i] = 'corrupted';
          continue;
        }
        o.onBytes?.(bytes.length);
        states[i] = bytes.length === entry.size && digestOf(bytes) === ds[i] ? 'intact' : 'corrupted';
      }
    }
    const big: number[] = [];
    for (let k = 0; k < loose.length; k++) {
      if (k % SLICE === SLICE - 1) await yieldToLoop();
      o.signal?.throwIfAborted();
      const i = loose[k] as number;
      const d = ds[i] as Digest;
      if ((stats[i]?.size ?? 0) > CHUNK) {
        big.push(i);
        continue;
      }
      // Small loose objects are read synchronously: far cheaper than a promise per read for thousands of them.
      let bytes: Buffer;
      try {
        bytes = readFileSync(pathOf(d));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        states[i] = 'missing';
        continue;
      }
      o.onBytes?.(bytes.length);
      const expectedSize = (items[i] as CheckItem).size;
      states[i] =
        digestOf(bytes) === d && (expectedSize === undefined || bytes.length === expectedSize) ? 'intact' : 'corrupted';
    }
    await mapLimit(
      big,
      concurrencyOf(o.concurrency, 4),
      async (i) => {
        const d = ds[i] as Digest;
        try {
          const { hash, size } = await hashCopyFile(pathOf(d), {
            ...(o.onBytes ? { onChunk: (c: Buffer) => o.onBytes?.(c.length) } : {}),
            ...(o.signal ? { signal: o.signal } : {}),
          });
          const expectedSize = (items[i] as CheckItem).size;
          states[i] =
            `sha256:${hash.toString('hex')}` === d && (expectedSize === undefined || size === expectedSize)
              ? 'intact'
              : 'corrupted';
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') states[i] = 'missing';
          else throw err;
        }
      },
      o.signal,
    );
    return states;
  }

  async function freshen(digests: readonly string[], o: BatchOptions = {}): Promise<boolean[]> {
    const ds = digests.map(parseDigest);
    await sweepOnce();
    await refreshPacks();
    const shards = looseShards();
    /** Packs touched by this call: each once, whatever the number of its objects. */
    const touched = new Set<string>();
    const out: boolean[] = [];
    for (let i = 0; i < ds.length; i++) {
      if (i % SLICE === SLICE - 1) await yieldToLoop();
      o.signal?.throwIfAborted();
      out.push(await freshenOne(ds[i] as Digest, shards, touched));
    }
    return out;
  }

  const cannotTouch = (err: unknown) =>
    ['EPERM', 'EACCES', 'EROFS'].includes((err as NodeJS.ErrnoException).code ?? '');

  async function freshenOne(d: Digest, shards: Set<string>, touched: Set<string>): Promise<boolean> {
    if (statLoose(d, shards)?.isFile()) {
      const now = new Date();
      try {
        await utimes(pathOf(d), now, now);
        return true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Another user's file: put its bytes again (a new file of ours, renamed over it), as git does.
        if (cannotTouch(err)) {
          await put(await readFile(pathOf(d)), { expectedDigest: d });
          return true;
        }
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
        // Deleted meanwhile: it may still be packed.
      }
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      const loc = await findPackedFresh(d);
      if (!loc) return false;
      if (touched.has(loc.pack.packPath)) return true;
      const now = new Date();
      try {
        await utimes(loc.pack.packPath, now, now);
        touched.add(loc.pack.packPath);
        return true;
      } catch (err) {
        if (cannotTouch(err)) {
          const bytes = await readPackedRaw(d);
          if (!bytes) return false;
          // A loose copy is read before any packed one.
          await put(bytes, { expectedDigest: d });
          return true;
        }
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        // The pack was rewritten meanwhile (by a delete): look again.
        await refreshPacks();
      }
    }
    return false;
  }

  async function deleteMany(digests: readonly string[], o: DeleteManyOptions = {}): Promise<boolean[]> {
    const ds = digests.map(parseDigest);
    await sweepOnce();
    await refreshPacks();
    const existed = ds.map(() => false);
    // With `olderThan`, an object with any copy (loose or packed) written or freshened since is kept whole.
    const limit = o.olderThan?.getTime();
    const isYoung = (mtimeMs: number | undefined) => limit !== undefined && mtimeMs !== undefined && mtimeMs > limit;
    const packMtimeMs = (pack: LoadedPack) => statSync(pack.packPath, { throwIfNoEntry: false })?.mtimeMs;
    const kept = new Set<string>();
    if (limit !== undefined) {
      const youngPacks = new Set(packs.filter((p) => isYoung(packMtimeMs(p))));
      for (const d of ds) {
        const h = hashOf(d);
        if (packs.some((p) => youngPacks.has(p) && p.index.find(h))) kept.add(d);
      }
    }
    for (let i = 0; i < ds.length; i++) {
      if (kept.has(ds[i] as Digest)) continue;
      if (limit !== undefined) {
        // Checked just before the unlink: a copy freshened since the collector chose it survives.
        const st = statLoosePath(pathOf(ds[i] as Digest));
        if (st?.isFile() && isYoung(st.mtimeMs)) {
          kept.add(ds[i] as Digest);
          continue;
        }
      }
      try {
        await unlink(pathOf(ds[i] as Digest));
        existed[i] = true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // A folder at the object's path is no object (reads and `has` ignore it): removed, not counted as existing.
        if (code === 'EISDIR' || code === 'EPERM') {
          if (!statSync(pathOf(ds[i] as Digest), { throwIfNoEntry: false })?.isDirectory()) throw err;
          await rm(pathOf(ds[i] as Digest), { recursive: true, force: true });
        } else if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      }
    }
    // Packed objects: each pack holding some of them is rewritten once without them (keeping its age, so that the
    // newest-first lookup order does not change), or removed when nothing is left in it.
    const doomed = new Map<string, number[]>();
    ds.forEach((d, i) => {
      if (kept.has(d)) return;
      const hex = digestHex(d);
      doomed.set(hex, [...(doomed.get(hex) ?? []), i]);
    });
    const keepHits = (hit: PackEntry[]) => {
      for (const e of hit) kept.add(`sha256:${e.hash.toString('hex')}`);
    };
    for (const pack of [...packs]) {
      const entries = [...pack.index.entries()];
      const hit = entries.filter((e) => doomed.has(e.hash.toString('hex')));
      if (hit.length === 0) continue;
      if (isYoung(packMtimeMs(pack))) {
        keepHits(hit);
        continue;
      }
      for (const e of hit) for (const i of doomed.get(e.hash.toString('hex')) ?? []) existed[i] = true;
      let survivors = entries.filter((e) => !doomed.has(e.hash.toString('hex')));
      // A pack that is no longer a regular file (replaced by a folder) holds nothing readable to keep.
      const packStat = statSync(pack.packPath, { throwIfNoEntry: false });
      if (packStat && !packStat.isFile()) survivors = [];
      if (survivors.length > 0) {
        const w = new PackWriter(packTimeOf(pack.name));
        try {
          const fd = packFd(pack.packPath);
          const sorted = survivors.sort((a, b) => a.offset - b.offset);
          for (let k = 0; k < sorted.length; k++) {
            if (k % SLICE === SLICE - 1) await yieldToLoop();
            const e = sorted[k] as PackEntry;
            await w.add(Buffer.from(e.hash), preadSync(fd, e.offset, e.size));
          }
          await w.finish();
          await syncDir(packDir);
        } catch (err) {
          await w.abort();
          throw err;
        }
        if (isYoung(packMtimeMs(pack))) {
          // Freshened while it was being rewritten: the old pack stays, the copy of its survivors goes.
          await unlink(join(packDir, `${w.name}.idx`)).catch(() => {});
          await rm(join(packDir, `${w.name}.pack`), { force: true }).catch(() => {});
          keepHits(hit);
          continue;
        }
      } else if (isYoung(packMtimeMs(pack))) {
        keepHits(hit);
        continue;
      }
      await unlink(pack.idxPath).catch(() => {});
      closePackFd(pack.packPath);
      await rm(pack.packPath, { recursive: true, force: true }).catch(() => {});
      await syncDir(packDir);
    }
    await refreshPacks();
    return existed.map((e, i) => e && !kept.has(ds[i] as Digest));
  }

  return {
    name,
    dir,
    pathOf,
    put,
    putFile,
    get,
    readBytes,
    has: async (digest) => (await statObject(digest)) !== undefined,
    stat: statObject,
    delete: async (digest) => (await deleteMany([digest]))[0] === true,
    list,
    cleanTemp,
    putMany,
    statMany,
    checkMany,
    deleteMany,
    freshen,
    inspect,
  };
}
