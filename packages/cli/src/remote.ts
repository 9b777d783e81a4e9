import type { ObjectStore } from '@mlops/core';
import { OBJECT_STORE_PLUGINS, openObjectStore } from '@mlops/core/objects';

/** Remote URL schemes served by optional plugin packages, loaded with a dynamic import when first used. */
export const REMOTE_PLUGINS: Readonly<Record<string, string>> = OBJECT_STORE_PLUGINS;

/** Options of {@link resolveRemote}. */
export interface ResolveRemoteOptions {
  /**
   * Directory that relative folder remotes resolve against.
   * @default process.cwd()
   */
  cwd?: string;
  /**
   * Loads a plugin module; tests pass a fake.
   * @default (specifier) => import(specifier)
   */
  importModule?: (specifier: string) => Promise<unknown>;
}

/**
 * Turns a `--remote` value into an {@link ObjectStore}, with the one object store URL grammar of `--objects`
 * (`openObjectStore` of `@mlops/core/objects`):
 *
 * - a folder (`/mnt/backup/mlops`, `../remote`, `file:///mnt/backup`) → `fsObjectStore({ dir })`;
 * - `s3://bucket/prefix[?endpoint=…&region=…&forcePathStyle=true]` → `@mlops/plugin-s3`, imported only now (install it
 *   beside the CLI); credentials from the AWS environment.
 *
 * A missing plugin is `NOT_CONFIGURED` naming the package to install; a bad URL (an unknown scheme included) is
 * `INVALID_INPUT` naming the offending part.
 */
export function resolveRemote(spec: string, options: ResolveRemoteOptions = {}): Promise<ObjectStore> {
  return openObjectStore(spec, {
    cwd: options.cwd ?? process.cwd(),
    ...(options.importModule ? { importModule: options.importModule } : {}),
  });
}
