import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, type FsObjectStore, fsObjectStore, type Store } from '@mlops/core';
import { afterAll, beforeAll } from 'vitest';

/**
 * Makes a temporary root directory now and opens a memory store before the file's tests (handing it to `ready`);
 * closes the store and removes the root after them. Returns the root.
 */
export function useRootAndStore(prefix: string, ready: (store: Store) => void): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  let store: Store | undefined;
  beforeAll(async () => {
    store = await createStore('memory://');
    ready(store);
  });
  afterAll(async () => {
    await store?.close();
    rmSync(root, { recursive: true, force: true });
  });
  return root;
}

let workspaces = 0;
/** A fresh directory under `root` with a local and a remote object store in it. */
export function localAndRemote(root: string): { dir: string; objects: FsObjectStore; remote: FsObjectStore } {
  const dir = join(root, `w${workspaces++}`);
  mkdirSync(dir, { recursive: true });
  return {
    dir,
    objects: fsObjectStore({ dir: join(dir, 'local-objects') }),
    remote: fsObjectStore({ dir: join(dir, 'remote-objects') }),
  };
}

/** Overwrites a stored object with as many bytes of garbage (bit rot: same size, different bytes). */
export function rot(objects: FsObjectStore, digest: string): void {
  const file = objects.pathOf(digest);
  chmodSync(file, 0o644);
  writeFileSync(file, Buffer.alloc(statSync(file).size, 0x58));
}

/** True for the prediction log's INSERT: the statement the prediction-log tests count and fail (one statement, one transaction). */
export function isLogInsert(sql: string): boolean {
  return sql.includes('INSERT INTO core_predictions');
}
