import { createReadStream } from 'node:fs';
import { isMlopsError, MlopsError } from '../errors.js';
import { assertSourceFile } from './file-io.js';
import type {
  BatchOptions,
  DeleteManyOptions,
  ObjectStat,
  ObjectStore,
  PutFileOptions,
  PutManyItem,
  PutResult,
} from './object-store.js';

/** The default number of objects a batch operation reads, writes or requests at once. */
export const DEFAULT_CONCURRENCY = 16;

const aborted = (signal: AbortSignal) => new MlopsError('ABORTED', { message: 'batch aborted', cause: signal.reason });

/** Checks a `concurrency` option: a positive integer (`INVALID_INPUT` otherwise). */
export function concurrencyOf(value: number | undefined, fallback = DEFAULT_CONCURRENCY): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1) {
    throw new MlopsError('INVALID_INPUT', {
      message: `concurrency must be a positive integer, got ${String(value)}`,
      details: [{ path: 'concurrency', message: 'expected a positive integer' }],
    });
  }
  return n;
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, pulling the next item only when a slot is free (so a
 * generator of items is consumed lazily), and returns the results in the order of `items`. The first failure stops
 * pulling new items, waits for the calls in flight, and is thrown.
 */
export async function mapLimit<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const n = concurrencyOf(limit);
  const results: R[] = [];
  const it: Iterator<T> | AsyncIterator<T> =
    Symbol.asyncIterator in Object(items)
      ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (items as Iterable<T>)[Symbol.iterator]();
  let index = 0;
  let failed: { error: unknown } | undefined;
  let pulling: Promise<unknown> = Promise.resolve();
  // Pulls are serialised: an async iterator must not be asked for two items at once.
  const next = (): Promise<IteratorResult<T>> => {
    const p = pulling.then(() => it.next());
    pulling = p.catch(() => {});
    return p;
  };
  const worker = async () => {
    for (;;) {
      if (failed) return;
      if (signal?.aborted) {
        failed ??= { error: aborted(signal) };
        return;
      }
      let r: IteratorResult<T>;
      try {
        r = await next();
      } catch (error) {
        failed ??= { error };
        return;
      }
      if (r.done || failed) return;
      const i = index++;
      try {
        results[i] = await fn(r.value, i);
      } catch (error) {
        failed ??= { error };
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
  if (failed) {
    await (it as AsyncIterator<T>).return?.();
    throw failed.error;
  }
  return results;
}

/**
 * Stores many objects through `objects.putMany` when the store has it (an fsObjectStore packs small objects and flushes
 * once), else with `put`, `concurrency` at a time. Results are in the order of `items`.
 */
export function putObjects(
  objects: ObjectStore,
  items: Iterable<PutManyItem> | AsyncIterable<PutManyItem>,
  opts: BatchOptions = {},
): Promise<PutResult[]> {
  if (objects.putMany) return objects.putMany(items, opts);
  return mapLimit(
    items,
    opts.concurrency ?? DEFAULT_CONCURRENCY,
    (item) =>
      objects.put(item.body, {
        ...(item.expectedDigest === undefined ? {} : { expectedDigest: item.expectedDigest }),
        ...(opts.signal ? { signal: opts.signal } : {}),
      }),
    opts.signal,
  );
}

/** `stat` of many digests (in order), through `objects.statMany` when the store has it. */
export function statObjects(
  objects: ObjectStore,
  digests: readonly string[],
  opts: BatchOptions = {},
): Promise<(ObjectStat | undefined)[]> {
  if (digests.length === 0) return Promise.resolve([]);
  if (objects.statMany) return objects.statMany(digests, opts);
  return mapLimit(digests, opts.concurrency ?? DEFAULT_CONCURRENCY, (d) => objects.stat(d), opts.signal);
}

/**
 * `delete` of many digests (in order), through `objects.deleteMany` when the store has it. With `olderThan`, an object
 * written or freshened after it is kept (`false`); without `deleteMany` each object is stat'ed just before its delete.
 */
export function deleteObjects(
  objects: ObjectStore,
  digests: readonly string[],
  opts: DeleteManyOptions = {},
): Promise<boolean[]> {
  if (digests.length === 0) return Promise.resolve([]);
  if (objects.deleteMany) return objects.deleteMany(digests, opts);
  const { olderThan } = opts;
  return mapLimit(
    digests,
    opts.concurrency ?? DEFAULT_CONCURRENCY,
    async (d) => {
      if (olderThan) {
        const st = await objects.stat(d);
        if (!st || st.mtime.getTime() > olderThan.getTime()) return false;
      }
      return objects.delete(d);
    },
    opts.signal,
  );
}

/**
 * Freshens stored objects (see {@link ObjectStore.freshen}), in order: `false` for a missing one. Stores without
 * `freshen` get each object's bytes put again (read and rewritten, verified against the digest).
 */
export function freshenObjects(
  objects: ObjectStore,
  digests: readonly string[],
  opts: BatchOptions = {},
): Promise<boolean[]> {
  if (digests.length === 0) return Promise.resolve([]);
  if (objects.freshen) return objects.freshen(digests, opts);
  return mapLimit(
    digests,
    opts.concurrency ?? DEFAULT_CONCURRENCY,
    async (d) => {
      if (!(await objects.has(d))) return false;
      try {
        await objects.put(objects.get(d), { expectedDigest: d, ...(opts.signal ? { signal: opts.signal } : {}) });
        return true;
      } catch (err) {
        if (isMlopsError(err, 'NOT_FOUND')) return false;
        throw err;
      }
    },
    opts.signal,
  );
}

/** Stores a local file through `objects.putFile` when the store has it (one read), else `put` of a read stream. */
export async function putFileObject(objects: ObjectStore, path: string, opts: PutFileOptions = {}): Promise<PutResult> {
  if (objects.putFile) return objects.putFile(path, opts);
  await assertSourceFile(path, objects.name);
  const { onChunk, ...putOpts } = opts;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) {
      if (onChunk) await onChunk(c as Buffer);
      yield c as Buffer;
    }
  }
  return objects.put(chunks(), putOpts);
}
