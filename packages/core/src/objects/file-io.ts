import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { MlopsError } from '../errors.js';

type FileHandle = Awaited<ReturnType<typeof open>>;

/**
 * Checks a file a caller asks to store: a missing one is `NOT_FOUND`, anything but a regular file (a folder, a FIFO
 * that would block the read) `INVALID_INPUT`, rather than a raw ENOENT/EISDIR from the copy.
 */
export async function assertSourceFile(path: string, storeName: string): Promise<void> {
  const source = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') throw err;
    throw new MlopsError('NOT_FOUND', { message: `${path} does not exist`, details: { path }, cause: err });
  });
  if (!source.isFile()) {
    throw new MlopsError('INVALID_INPUT', {
      message: `cannot store ${path} in ${storeName}: not a regular file`,
      details: [{ path: 'path', message: `${path} is not a regular file` }],
    });
  }
}

/** Writes all of `buf` at the handle's current position (a short write continues where it stopped). */
export async function writeFully(fh: FileHandle, buf: Uint8Array): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

/** Options of {@link hashCopyFile}. */
export interface HashCopyOptions {
  /** Where to write the bytes as they are read (appended at the handle's position); nothing is written without it. */
  dest?: FileHandle;
  /** Called with every chunk after it is hashed, before the next one is; the buffer is reused afterwards: copy it. */
  onChunk?: (chunk: Buffer) => void | Promise<void>;
  signal?: AbortSignal;
  /** @default 2 MiB */
  chunkSize?: number;
  /**
   * Start flushing `dest` to disk (an fdatasync in the background, one at a time) every this many bytes written, so
   * the disk writes while the rest is read and hashed and the final fsync has little left to do.
   * @default undefined (never: the caller flushes at the end)
   */
  flushEvery?: number;
}

/**
 * Reads a file once, sha256-hashing it and optionally copying it to `dest`: the next read and the previous write run
 * (in libuv's thread pool) while a chunk is hashed on this thread, with three reused buffers, so hashing a file goes at
 * about the speed of sha256 itself and copying one at the speed of the slower of the disk and sha256.
 */
export async function hashCopyFile(src: string, opts: HashCopyOptions = {}): Promise<{ hash: Buffer; size: number }> {
  const fh = await open(src, 'r');
  try {
    // Small files get small buffers: three 2 MiB buffers per 500-byte file would keep the garbage collector busy.
    const size = Math.max(1, Math.min(opts.chunkSize ?? 2 << 20, (await fh.stat()).size));
    const hash = createHash('sha256');
    const bufs = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
    const writes: (Promise<void> | undefined)[] = [undefined, undefined, undefined];
    let lastWrite: Promise<void> = Promise.resolve();
    let flushing: Promise<void> | undefined;
    let unflushed = 0;
    let pos = 0;
    let k = 0;
    let reading = fh.read(bufs[0] as Buffer, 0, size, 0);
    try {
      for (;;) {
        const { bytesRead } = await reading;
        if (bytesRead === 0) break;
        const cur = (bufs[k] as Buffer).subarray(0, bytesRead);
        pos += bytesRead;
        const nk = (k + 1) % 3;
        // The next buffer is free once the write that used it is done.
        await writes[nk];
        writes[nk] = undefined;
        if (opts.signal?.aborted) {
          throw new MlopsError('ABORTED', { message: `reading ${src} aborted`, cause: opts.signal.reason });
        }
        reading = fh.read(bufs[nk] as Buffer, 0, size, pos);
        hash.update(cur);
        if (opts.onChunk) await opts.onChunk(cur);
        const dest = opts.dest;
        if (dest) {
          lastWrite = lastWrite.then(() => writeFully(dest, cur));
          writes[k] = lastWrite;
          unflushed += bytesRead;
          if (opts.flushEvery && unflushed >= opts.flushEvery && !flushing) {
            unflushed = 0;
            // After the writes queued so far; errors surface in the caller's final fsync.
            flushing = lastWrite
              .then(() => dest.datasync())
              .catch(() => {})
              .finally(() => {
                flushing = undefined;
              });
          }
        }
        k = nk;
      }
    } finally {
      // Never leave a read or write running on a buffer or handle after returning.
      await reading.catch(() => {});
      await Promise.allSettled(writes.filter((w) => w !== undefined));
      await flushing;
    }
    await lastWrite;
    return { hash: hash.digest(), size: pos };
  } finally {
    await fh.close().catch(() => {});
  }
}
