import type { Store } from '../store/store.js';
import { deleteObjects, statObjects } from './batch.js';
import type { Digest, ObjectStore } from './object-store.js';
import { listReferencedDigests, referencedAmong } from './refs.js';

/** Candidates are re-checked against the references and deleted this many at a time. */
const GC_BATCH = 1000;

/** Options of {@link collectGarbage}. */
export interface CollectGarbageOptions {
  /** The store whose `core_object_refs` table says which blobs are in use. */
  store: Store;
  /** The object store to clean. */
  objects: ObjectStore;
  /**
   * Blobs (and temp files of interrupted writes) younger than this are kept even when unreferenced, so a writer that
   * has stored a blob but not yet recorded its reference does not lose it.
   * @default 3_600_000 (one hour)
   */
  graceMs?: number;
  /**
   * Report what would be deleted without deleting anything.
   * @default false
   */
  dryRun?: boolean;
  /**
   * Clock in milliseconds.
   * @default Date.now
   */
  now?: () => number;
}

/** What {@link collectGarbage} did (or would do, in a dry run). */
export interface GarbageReport {
  dryRun: boolean;
  /** Unreferenced blobs older than the grace period: deleted (or to delete). */
  deleted: { digest: Digest; size: number }[];
  /** Blobs kept, by reason (`young` counts those a writer put again or freshened while the collection ran). */
  kept: { referenced: number; young: number };
  /** Bytes of the deleted blobs and temp files. */
  bytesFreed: number;
  /** Temp files of interrupted writes removed (names), when the object store has them. */
  tempFiles: string[];
}

/**
 * Deletes blobs that no row references (`core_object_refs`) and that are older than the grace period, plus leftovers
 * of interrupted writes. Each candidate's references are checked again before it is deleted, and its age once more
 * as it is deleted (`deleteObjects` with `olderThan`): a blob that a writer put again or freshened meanwhile (a new
 * dataset version reusing it) is kept, its reference being on its way.
 *
 * @example
 * const report = await collectGarbage({ store, objects, graceMs: 24 * 3600_000, dryRun: true });
 */
export async function collectGarbage(opts: CollectGarbageOptions): Promise<GarbageReport> {
  const { store, objects } = opts;
  const graceMs = opts.graceMs ?? 3_600_000;
  const dryRun = opts.dryRun ?? false;
  const cutoff = (opts.now ?? Date.now)() - graceMs;
  const referenced = await listReferencedDigests(store);
  const report: GarbageReport = {
    dryRun,
    deleted: [],
    kept: { referenced: 0, young: 0 },
    bytesFreed: 0,
    tempFiles: [],
  };
  const unreferenced: Digest[] = [];
  for await (const digest of objects.list()) {
    if (referenced.has(digest)) report.kept.referenced++;
    else unreferenced.push(digest);
  }
  for (let start = 0; start < unreferenced.length; start += GC_BATCH) {
    const chunk = unreferenced.slice(start, start + GC_BATCH);
    const stats = await statObjects(objects, chunk);
    const old: { digest: Digest; size: number }[] = [];
    chunk.forEach((digest, i) => {
      const st = stats[i];
      if (!st) return;
      if (st.mtime.getTime() > cutoff) report.kept.young++;
      else old.push({ digest, size: st.size });
    });
    // A reference may have been recorded since the snapshot above: ask again just before deleting.
    const nowReferenced = await referencedAmong(
      store,
      old.map((o) => o.digest),
    );
    const doomed = old.filter((o) => {
      if (!nowReferenced.has(o.digest)) return true;
      report.kept.referenced++;
      return false;
    });
    // An fsObjectStore rewrites each pack once for all the objects deleted from it. The store checks each object's
    // age again just before deleting it: one that a writer put again or freshened since the stat above is kept.
    const deleted = dryRun
      ? doomed.map(() => true)
      : await deleteObjects(
          objects,
          doomed.map((o) => o.digest),
          { olderThan: new Date(cutoff) },
        );
    const spared: Digest[] = [];
    doomed.forEach((o, i) => {
      if (!deleted[i]) {
        spared.push(o.digest);
        return;
      }
      report.deleted.push(o);
      report.bytesFreed += o.size;
    });
    // Not deleted: freshened meanwhile (young now), or already gone.
    for (const st of await statObjects(objects, spared)) if (st) report.kept.young++;
  }
  if (objects.cleanTemp) {
    const temp = await objects.cleanTemp({ olderThanMs: graceMs, dryRun });
    report.tempFiles = temp.removed;
    report.bytesFreed += temp.bytes;
  }
  return report;
}
