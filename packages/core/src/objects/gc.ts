import type { Store } from '../store/store.js';
import type { Digest, ObjectStore } from './object-store.js';
import { listObjectRefs, listReferencedDigests } from './refs.js';

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
  /** Blobs kept, by reason. */
  kept: { referenced: number; young: number };
  /** Bytes of the deleted blobs and temp files. */
  bytesFreed: number;
  /** Temp files of interrupted writes removed (names), when the object store has them. */
  tempFiles: string[];
}

/**
 * Deletes blobs that no row references (`core_object_refs`) and that are older than the grace period, plus leftovers
 * of interrupted writes. Each candidate's references are checked again just before it is deleted.
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
  for await (const digest of objects.list()) {
    if (referenced.has(digest)) {
      report.kept.referenced++;
      continue;
    }
    const st = await objects.stat(digest);
    if (!st) continue;
    if (st.mtime.getTime() > cutoff) {
      report.kept.young++;
      continue;
    }
    // A reference may have been recorded since the snapshot above.
    if ((await listObjectRefs(store, digest)).length > 0) {
      report.kept.referenced++;
      continue;
    }
    if (!dryRun && !(await objects.delete(digest))) continue;
    report.deleted.push({ digest, size: st.size });
    report.bytesFreed += st.size;
  }
  if (objects.cleanTemp) {
    const temp = await objects.cleanTemp({ olderThanMs: graceMs, dryRun });
    report.tempFiles = temp.removed;
    report.bytesFreed += temp.bytes;
  }
  return report;
}
