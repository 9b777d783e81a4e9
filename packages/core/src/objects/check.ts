import { isMlopsError, MlopsError } from '../errors.js';
import { mapLimit } from './batch.js';
import type { CheckItem, CheckManyOptions, ObjectState, ObjectStore } from './object-store.js';

export type { ObjectState } from './object-store.js';

/** Options of {@link checkObject}. */
export interface CheckObjectOptions {
  /**
   * The object's expected size: a stored copy of another size is `corrupted` without reading it.
   * @default undefined (not checked)
   */
  size?: number;
  /**
   * Read the whole object and check its bytes against the digest. Without it, an object of the right size counts as
   * intact.
   * @default false
   */
  verify?: boolean;
  /** Called with the length of every chunk read while verifying. */
  onBytes?: (n: number) => void;
  /** Cancels the read. */
  signal?: AbortSignal;
}

/**
 * Says whether an object is intact, missing or corrupted in a store: by its size (a `stat`), and with `verify` by its
 * bytes (a full, streamed read through the store's verifying `get`).
 */
export async function checkObject(
  objects: ObjectStore,
  digest: string,
  opts: CheckObjectOptions = {},
): Promise<ObjectState> {
  const st = await objects.stat(digest);
  if (!st) return 'missing';
  if (opts.size !== undefined && st.size !== opts.size) return 'corrupted';
  if (!opts.verify) return 'intact';
  try {
    for await (const chunk of objects.get(digest)) {
      if (opts.signal?.aborted) {
        throw new MlopsError('ABORTED', { message: `verifying ${digest} in ${objects.name} aborted` });
      }
      opts.onBytes?.((chunk as Uint8Array).length);
    }
    return 'intact';
  } catch (err) {
    if (isMlopsError(err, 'CHECKSUM_MISMATCH')) return 'corrupted';
    if (isMlopsError(err, 'NOT_FOUND')) return 'missing';
    throw err;
  }
}

/**
 * {@link checkObject} over many objects, in order: the store's own `checkMany` when it has one (an fsObjectStore reads
 * a pack once for all its objects), else `checkObject` with `concurrency` objects at once.
 */
export async function checkObjects(
  objects: ObjectStore,
  items: readonly CheckItem[],
  opts: CheckManyOptions = {},
): Promise<ObjectState[]> {
  if (items.length === 0) return [];
  if (objects.checkMany) return objects.checkMany(items, opts);
  return mapLimit(
    items,
    opts.concurrency ?? 16,
    (it) =>
      checkObject(objects, it.digest, {
        ...(it.size === undefined ? {} : { size: it.size }),
        verify: opts.verify ?? false,
        ...(opts.onBytes ? { onBytes: opts.onBytes } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      }),
    opts.signal,
  );
}
