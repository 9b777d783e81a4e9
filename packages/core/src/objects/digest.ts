import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { MlopsError } from '../errors.js';
import type { Digest } from './object-store.js';

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

/** True when `value` is a digest in the canonical `sha256:<64 lowercase hex>` form. */
export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && DIGEST_RE.test(value);
}

/** Returns `value` as a {@link Digest}, or throws `INVALID_INPUT` when it is not `sha256:<64 lowercase hex>`. */
export function parseDigest(value: string): Digest {
  if (!isDigest(value)) {
    throw new MlopsError('INVALID_INPUT', {
      message: `invalid digest ${JSON.stringify(String(value).slice(0, 100))}: expected sha256:<64 lowercase hex>`,
      details: [{ path: 'digest', message: 'expected sha256:<64 lowercase hex>' }],
    });
  }
  return value;
}

/** The 64-character hex part of a digest. */
export function digestHex(digest: Digest): string {
  return digest.slice('sha256:'.length);
}

/** Formats a finished sha256 hash as a {@link Digest}. */
export function formatDigest(hash: Hash): Digest {
  return `sha256:${hash.digest('hex')}`;
}

/** The digest of in-memory bytes (a string is hashed as UTF-8). */
export function digestOf(data: Uint8Array | string): Digest {
  return formatDigest(createHash('sha256').update(data));
}

/** A pass-through stream that hashes and counts what flows through it. */
export interface HashingTransform extends Transform {
  /** Bytes seen so far. */
  readonly bytes: number;
  /** The digest of everything seen; call after the stream ended. */
  digest(): Digest;
}

/** Creates a pass-through {@link HashingTransform}; `onBytes(n)` is called for every chunk. */
export function createHashingTransform(onBytes?: (n: number) => void): HashingTransform {
  const hash = createHash('sha256');
  let bytes = 0;
  let result: Digest | undefined;
  const t = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      hash.update(chunk);
      bytes += chunk.length;
      onBytes?.(chunk.length);
      cb(null, chunk);
    },
  }) as HashingTransform;
  Object.defineProperty(t, 'bytes', { get: () => bytes });
  t.digest = () => {
    result ??= formatDigest(hash);
    return result;
  };
  return t;
}

/**
 * A pass-through stream that fails with `CHECKSUM_MISMATCH` at the end when the bytes do not hash to `digest`
 * (or, when `size` is given, when their length differs).
 */
export function createVerifyingTransform(digest: Digest, opts: { size?: number; source?: string } = {}): Transform {
  const hash = createHash('sha256');
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      const actual = formatDigest(hash);
      if (actual !== digest || (opts.size !== undefined && bytes !== opts.size)) {
        cb(checksumMismatch(digest, actual, bytes, opts.source));
      } else {
        cb();
      }
    },
  });
}

/** The `CHECKSUM_MISMATCH` error raised when stored bytes do not match their digest. */
export function checksumMismatch(expected: Digest, actual: Digest, size: number, source?: string): MlopsError {
  return new MlopsError('CHECKSUM_MISMATCH', {
    message: `checksum mismatch${source ? ` in ${source}` : ''}: expected ${expected}, got ${actual} (${size} bytes)`,
    details: { expected, actual, size, ...(source ? { source } : {}) },
  });
}

/** Re-yields the chunks of `source`, calling `onBytes(n)` for each; errors of the source propagate. */
export async function* tapBytes(
  source: AsyncIterable<Uint8Array>,
  onBytes: (n: number) => void,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    onBytes(chunk.length);
    yield chunk;
  }
}
