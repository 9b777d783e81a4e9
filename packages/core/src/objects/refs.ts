import { migrate } from '../migrate.js';
import type { Store } from '../store/store.js';

/** A row that keeps a blob alive: `kind` names the owning table or concept, `ownerId` its row. */
export interface ObjectRef {
  /** Digest of the blob, as the object store returned it. */
  digest: string;
  /** What holds the reference, e.g. `'dataset-version'`, `'run-artifact'`, `'model-package'`. */
  kind: string;
  /** The id of the owning row. */
  ownerId: string;
}

/**
 * Records that `ownerId` of `kind` points at the blob `digest`, so garbage collection keeps it. Idempotent. Call it
 * inside the transaction that writes the owning row.
 */
export async function recordObjectRef(store: Store, ref: ObjectRef): Promise<void> {
  await migrate(store, { areas: ['objects'] });
  await store.query(
    'INSERT INTO core_object_refs (digest, kind, owner_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [ref.digest, ref.kind, ref.ownerId],
  );
}

/** Records several references in one statement (e.g. every file of a dataset folder). Idempotent. */
export async function recordObjectRefs(store: Store, refs: readonly ObjectRef[]): Promise<void> {
  if (refs.length === 0) return;
  await migrate(store, { areas: ['objects'] });
  await store.query(
    `INSERT INTO core_object_refs (digest, kind, owner_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`,
    [refs.map((r) => r.digest), refs.map((r) => r.kind), refs.map((r) => r.ownerId)],
  );
}

/** Drops every reference held by one owner (when the owning row is deleted). Returns how many were removed. */
export async function removeObjectRefs(store: Store, owner: { kind: string; ownerId: string }): Promise<number> {
  await migrate(store, { areas: ['objects'] });
  const rows = await store.query('DELETE FROM core_object_refs WHERE kind = $1 AND owner_id = $2 RETURNING digest', [
    owner.kind,
    owner.ownerId,
  ]);
  return rows.length;
}

/** The set of digests some row still references. */
export async function listReferencedDigests(store: Store): Promise<Set<string>> {
  await migrate(store, { areas: ['objects'] });
  const rows = await store.query<{ digest: string }>('SELECT DISTINCT digest FROM core_object_refs');
  return new Set(rows.map((r) => r.digest));
}

/** Which of `digests` some row references (one query). */
export async function referencedAmong(store: Store, digests: readonly string[]): Promise<Set<string>> {
  if (digests.length === 0) return new Set();
  await migrate(store, { areas: ['objects'] });
  const rows = await store.query<{ digest: string }>(
    'SELECT DISTINCT digest FROM core_object_refs WHERE digest = ANY($1::text[])',
    [digests],
  );
  return new Set(rows.map((r) => r.digest));
}

/** The references that point at one blob. */
export async function listObjectRefs(store: Store, digest: string): Promise<ObjectRef[]> {
  await migrate(store, { areas: ['objects'] });
  const rows = await store.query<{ digest: string; kind: string; owner_id: string }>(
    'SELECT digest, kind, owner_id FROM core_object_refs WHERE digest = $1 ORDER BY kind, owner_id',
    [digest],
  );
  return rows.map((r) => ({ digest: r.digest, kind: r.kind, ownerId: r.owner_id }));
}
