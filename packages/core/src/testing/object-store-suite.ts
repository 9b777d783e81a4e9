import { createHash, randomFillSync } from 'node:crypto';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { deleteObjects } from '../objects/batch.js';
import type { Digest, ObjectStore } from '../objects/object-store.js';

/** Options of {@link testObjectStore}. */
export interface ObjectStoreSuiteOptions<T extends ObjectStore> {
  /**
   * Changes the stored bytes of `digest` behind the store's back (same key, different content), so the suite can check
   * that reads detect it. Without it the tamper-detection tests are skipped.
   * @default undefined
   */
  tamper?: (objects: T, digest: Digest) => Promise<void>;
  /**
   * Releases what the factory created (a temporary folder, a bucket), after each test.
   * @default undefined
   */
  cleanup?: (objects: T) => Promise<void>;
  /**
   * Size of the generated stream of the large-object tests.
   * @default 64 MiB
   */
  largeSize?: number;
  /**
   * Most bytes the large put/get may keep alive (measured after garbage collection while streaming).
   * @default largeSize / 2
   */
  maxRetainedBytes?: number;
}

const MiB = 1 << 20;

/** Reads a whole stream into one buffer. */
async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

const sha256 = (data: Uint8Array | string): Digest => `sha256:${createHash('sha256').update(data).digest('hex')}`;

function exposeGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Measures bytes kept alive (heap + array buffers, after a full GC) relative to when it was created. */
function retainedMeter() {
  const gc = exposeGc();
  const sample = () => {
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const base = sample();
  let peak = 0;
  return {
    sample() {
      peak = Math.max(peak, sample() - base);
    },
    get peak() {
      return peak;
    },
  };
}

/** A generated stream of pseudo-random bytes; `digest()` is known once it has been fully read. */
function generated(size: number, onChunk?: (produced: number) => void) {
  const hash = createHash('sha256');
  let produced = 0;
  async function* gen(): AsyncGenerator<Uint8Array> {
    while (produced < size) {
      const n = Math.min(MiB, size - produced);
      const chunk = randomFillSync(Buffer.allocUnsafe(n));
      hash.update(chunk);
      produced += n;
      onChunk?.(produced);
      yield chunk;
    }
  }
  let digest: Digest | undefined;
  return {
    iterable: gen(),
    digest: () => {
      digest ??= `sha256:${hash.digest('hex')}`;
      return digest;
    },
  };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/**
 * The conformance suite of {@link ObjectStore}: call it inside a vitest file with a factory returning a fresh, empty
 * store. `fsObjectStore` runs it in core; remotes (S3) run it in their plugin.
 */
export function testObjectStore<T extends ObjectStore>(
  name: string,
  factory: () => T | Promise<T>,
  options: ObjectStoreSuiteOptions<T> = {},
): void {
  const largeSize = options.largeSize ?? 64 * MiB;
  const maxRetained = options.maxRetainedBytes ?? largeSize / 2;

  const withStore = (fn: (objects: T) => Promise<void>) => async () => {
    const objects = await factory();
    try {
      await fn(objects);
    } finally {
      await options.cleanup?.(objects);
    }
  };

  describe(`ObjectStore conformance: ${name}`, () => {
    it(
      'freshen (when the store has it) keeps bytes, reports missing objects, and deleteObjects spares young ones',
      withStore(async (objects) => {
        const { digest } = await objects.put('freshened');
        const before = await objects.stat(digest);
        const absent = sha256('never stored');
        if (objects.freshen) {
          expect(await objects.freshen([digest, absent])).toEqual([true, false]);
          expect((await objects.stat(digest))?.mtime.getTime()).toBeGreaterThanOrEqual(before?.mtime.getTime() ?? 0);
          expect((await objects.readBytes(digest)).toString()).toBe('freshened');
        }
        // Written just now: younger than an hour ago, so kept; not after a time to come, so deleted.
        expect(await deleteObjects(objects, [digest], { olderThan: new Date(Date.now() - 3600_000) })).toEqual([false]);
        expect(await objects.has(digest)).toBe(true);
        expect(await deleteObjects(objects, [digest], { olderThan: new Date(Date.now() + 3600_000) })).toEqual([true]);
        expect(await objects.has(digest)).toBe(false);
      }),
    );

    it(
      'round-trips every body kind, with digests equal to node:crypto sha256',
      withStore(async (objects) => {
        const text = 'hello, objects\n';
        const bytes = new Uint8Array([0, 1, 2, 3, 254, 255]);
        const streamed = Buffer.from('streamed body '.repeat(1000));
        async function* iter() {
          yield Buffer.from('part one, ');
          yield new Uint8Array(Buffer.from('part two'));
        }
        const cases: [Parameters<ObjectStore['put']>[0], Buffer][] = [
          [text, Buffer.from(text)],
          [bytes, Buffer.from(bytes)],
          [Readable.from([streamed.subarray(0, 5000), streamed.subarray(5000)]), streamed],
          [iter(), Buffer.from('part one, part two')],
          ['', Buffer.alloc(0)],
        ];
        for (const [body, expected] of cases) {
          const res = await objects.put(body);
          expect(res).toEqual({ digest: sha256(expected), size: expected.length });
          expect(res.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
          expect(await readAll(objects.get(res.digest))).toEqual(expected);
          expect(await objects.readBytes(res.digest)).toEqual(expected);
        }
      }),
    );

    it(
      'reports presence and size with has and stat',
      withStore(async (objects) => {
        const absent = sha256('never stored');
        expect(await objects.has(absent)).toBe(false);
        expect(await objects.stat(absent)).toBeUndefined();
        const { digest } = await objects.put('twelve bytes');
        expect(await objects.has(digest)).toBe(true);
        const st = await objects.stat(digest);
        expect(st?.digest).toBe(digest);
        expect(st?.size).toBe(12);
        expect(st?.mtime).toBeInstanceOf(Date);
      }),
    );

    it(
      'fails with NOT_FOUND for a missing object, on get and readBytes',
      withStore(async (objects) => {
        const missing = sha256('missing');
        await expect(readAll(objects.get(missing))).rejects.toMatchObject({ code: 'NOT_FOUND' });
        await expect(objects.readBytes(missing)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      }),
    );

    it(
      'rejects malformed digests with INVALID_INPUT',
      withStore(async (objects) => {
        for (const bad of [
          '',
          'abc',
          `sha256:${'A'.repeat(64)}`,
          `md5:${'a'.repeat(64)}`,
          `sha256:../../${'a'.repeat(58)}`,
        ]) {
          await expect(objects.has(bad)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
          await expect(objects.readBytes(bad)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
          await expect(objects.delete(bad)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
          await expect((async () => readAll(objects.get(bad)))()).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        }
      }),
    );

    it(
      'is idempotent: putting the same bytes again gives the same digest and one listed object',
      withStore(async (objects) => {
        const a = await objects.put('same bytes');
        const b = await objects.put(Readable.from([Buffer.from('same '), Buffer.from('bytes')]));
        expect(b).toEqual(a);
        expect(await collect(objects.list())).toEqual([a.digest]);
      }),
    );

    it(
      'stores concurrent puts of the same content safely',
      withStore(async (objects) => {
        const body = randomFillSync(Buffer.alloc(3 * MiB + 17));
        const results = await Promise.all(Array.from({ length: 6 }, () => objects.put(Readable.from([body]))));
        for (const r of results) expect(r).toEqual({ digest: sha256(body), size: body.length });
        // Compare digests: vitest's deep equality walks a large buffer byte by byte.
        expect(sha256(await objects.readBytes(sha256(body)))).toBe(sha256(body));
        expect(await collect(objects.list())).toEqual([sha256(body)]);
      }),
    );

    it(
      'lists every stored digest and nothing else',
      withStore(async (objects) => {
        const digests = await Promise.all(['a', 'b', 'c', 'd'].map(async (x) => (await objects.put(x)).digest));
        expect((await collect(objects.list())).sort()).toEqual([...digests].sort());
      }),
    );

    it(
      'deletes objects (idempotently)',
      withStore(async (objects) => {
        const keep = await objects.put('keep me');
        const { digest } = await objects.put('delete me');
        expect(await objects.delete(digest)).toBe(true);
        expect(await objects.delete(digest)).toBe(false);
        expect(await objects.has(digest)).toBe(false);
        await expect(objects.readBytes(digest)).rejects.toMatchObject({ code: 'NOT_FOUND' });
        expect(await collect(objects.list())).toEqual([keep.digest]);
      }),
    );

    it(
      'refuses a put whose bytes differ from expectedDigest, storing nothing',
      withStore(async (objects) => {
        const wrong = sha256('something else');
        await expect(objects.put('actual bytes', { expectedDigest: wrong })).rejects.toMatchObject({
          code: 'CHECKSUM_MISMATCH',
        });
        expect(await collect(objects.list())).toEqual([]);
        const ok = await objects.put('actual bytes', { expectedDigest: sha256('actual bytes') });
        expect(ok.digest).toBe(sha256('actual bytes'));
      }),
    );

    it(
      'stops an aborted put without storing anything',
      withStore(async (objects) => {
        const ac = new AbortController();
        async function* slow() {
          yield Buffer.alloc(MiB, 1);
          ac.abort();
          yield Buffer.alloc(MiB, 2);
        }
        await expect(objects.put(slow(), { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
        expect(await collect(objects.list())).toEqual([]);
      }),
    );

    it(
      `streams a ${Math.round(largeSize / MiB)} MiB object in and out with bounded memory`,
      withStore(async (objects) => {
        const meter = retainedMeter();
        const step = 8 * MiB;
        let next = step;
        const src = generated(largeSize, (produced) => {
          if (produced >= next) {
            meter.sample();
            next += step;
          }
        });
        const res = await objects.put(src.iterable);
        expect(res).toEqual({ digest: src.digest(), size: largeSize });
        const putPeak = meter.peak;
        expect(putPeak).toBeLessThan(maxRetained);

        const readMeter = retainedMeter();
        const hash = createHash('sha256');
        let read = 0;
        let nextRead = step;
        for await (const chunk of objects.get(res.digest)) {
          hash.update(chunk as Buffer);
          read += (chunk as Buffer).length;
          if (read >= nextRead) {
            readMeter.sample();
            nextRead += step;
          }
        }
        expect(read).toBe(largeSize);
        expect(`sha256:${hash.digest('hex')}`).toBe(res.digest);
        expect(readMeter.peak).toBeLessThan(maxRetained);
      }),
      120_000,
    );

    it.skipIf(!options.tamper)(
      'detects tampered bytes: get fails with CHECKSUM_MISMATCH at the end, readBytes before returning',
      withStore(async (objects) => {
        const body = Buffer.from('trusted model weights '.repeat(5000));
        const { digest } = await objects.put(body);
        await options.tamper?.(objects, digest);
        await expect(readAll(objects.get(digest))).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
        await expect(objects.readBytes(digest)).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
        // Putting the right bytes again repairs the object.
        await objects.put(body);
        expect(sha256(await objects.readBytes(digest))).toBe(digest);
      }),
    );
  });
}
