import { createHash, randomUUID } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MlopsError } from '../errors.js';
import { checksumMismatch, createHashingTransform, digestHex, digestOf, formatDigest, parseDigest } from './digest.js';
import type {
  CleanTempOptions,
  CleanTempResult,
  Digest,
  ObjectBody,
  ObjectStat,
  ObjectStore,
  PutOptions,
  PutResult,
} from './object-store.js';

/** Options of {@link fsObjectStore}. */
export interface FsObjectStoreOptions {
  /**
   * Folder holding the objects (created on first write). A relative path resolves against the working directory.
   * @default '.mlops/objects'
   */
  dir?: string;
  /**
   * Flush each object to disk (fsync of the file and its folder) before it becomes visible.
   * @default true
   */
  fsync?: boolean;
  /**
   * When the store is first used (its first operation of any kind), remove the temp files of interrupted writes
   * (`<dir>/tmp/*.partial`, left by a writer that was killed or crashed mid-put) whose modification time is older than
   * this many milliseconds; `false` leaves them to `collectGarbage`. A live writer touches its temp file with
   * every chunk it writes, so only a writer that has written nothing for this long can lose its temp file (its put
   * then fails, nothing visible is damaged); writers in this process are never swept, whatever their age. Keep it
   * well above the longest stall of a writer sharing the folder (e.g. over a network file system).
   * @default 3_600_000 (one hour, as the garbage collector's grace period)
   */
  cleanTempOlderThanMs?: number | false;
}

/** An {@link ObjectStore} on the local file system. */
export interface FsObjectStore extends ObjectStore {
  /** Absolute path of the store's folder. */
  readonly dir: string;
  /** Where the object with this digest lives (`<dir>/ab/cdef…`), whether or not it exists. */
  pathOf(digest: string): string;
  /**
   * Removes temp files of interrupted writes (`<dir>/tmp/*.partial`) older than `olderThanMs` (by modification time),
   * never those of puts in progress in this process.
   */
  cleanTemp(opts: CleanTempOptions): Promise<CleanTempResult>;
}

const CHUNK = 1 << 20;
const TMP_DIR = 'tmp';
const TMP_SUFFIX = '.partial';
const SHARD_RE = /^[0-9a-f]{2}$/;
const REST_RE = /^[0-9a-f]{62}$/;
const DEFAULT_CLEAN_TEMP_MS = 3_600_000;

/**
 * Temp files of puts in progress in this process (absolute paths), shared by every store handle on any folder: no
 * sweep removes them, whatever their age.
 */
const liveTemps = new Set<string>();

type FileHandle = Awaited<ReturnType<typeof open>>;

async function writeFully(fh: FileHandle, buf: Uint8Array): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
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

/**
 * A content-addressed object store in a local folder: `<dir>/ab/cdef…` named by sha256, written as a stream to a
 * temporary file under `<dir>/tmp/` (hashed on the fly, fsynced) and renamed into place, so a reader never sees a
 * partial object, even when the writer is killed.
 */
export function fsObjectStore(opts: FsObjectStoreOptions = {}): FsObjectStore {
  const dir = resolve(opts.dir ?? '.mlops/objects');
  const doFsync = opts.fsync ?? true;
  const tmpDir = join(dir, TMP_DIR);
  const name = `fs:${dir}`;
  const sweepOlderThanMs = opts.cleanTempOlderThanMs ?? DEFAULT_CLEAN_TEMP_MS;
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
      const final = pathOf(digest);
      const shard = join(dir, digestHex(digest).slice(0, 2));
      await mkdir(shard, { recursive: true });
      // Always rename, even when the object exists: this heals a damaged copy and refreshes its mtime, so garbage
      // collection's grace period covers the new writer. Concurrent puts of the same bytes rename identical files.
      await chmod(tmpPath, 0o444);
      await rename(tmpPath, final);
      renamed = true;
      await syncDir(shard);
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

  function get(digest: string): Readable {
    const d = parseDigest(digest);
    const file = pathOf(d);
    async function* read(): AsyncGenerator<Buffer> {
      let fh: FileHandle;
      await sweepOnce();
      try {
        fh = await open(file, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(d);
        throw err;
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
    let buf: Buffer;
    try {
      buf = await readFile(pathOf(d));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(d);
      throw err;
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
    if (!s?.isFile()) return undefined;
    return { digest: d, size: s.size, mtime: s.mtime };
  }

  async function del(digest: string): Promise<boolean> {
    const file = pathOf(digest);
    await sweepOnce();
    try {
      await unlink(file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async function* list(): AsyncGenerator<Digest> {
    await sweepOnce();
    const shards = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    for (const shard of shards.sort()) {
      if (!SHARD_RE.test(shard)) continue;
      const names = await readdir(join(dir, shard)).catch(() => [] as string[]);
      for (const rest of names.sort()) {
        if (REST_RE.test(rest)) yield `sha256:${shard}${rest}`;
      }
    }
  }

  async function cleanTemp(o: CleanTempOptions): Promise<CleanTempResult> {
    const names = await readdir(tmpDir).catch(() => [] as string[]);
    const cutoff = Date.now() - o.olderThanMs;
    const removed: string[] = [];
    let bytes = 0;
    for (const n of names.sort()) {
      const p = join(tmpDir, n);
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
      removed.push(n);
      bytes += s.size;
    }
    return { removed, bytes };
  }

  return {
    name,
    dir,
    pathOf,
    put,
    get,
    readBytes,
    has: async (digest) => (await statObject(digest)) !== undefined,
    stat: statObject,
    delete: del,
    list,
    cleanTemp,
  };
}
