import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fsObjectStore, MlopsError, type ObjectStore } from '@mlops/core';
import { isModuleNotFound } from './plugins.js';

/** Remote URL schemes served by optional plugin packages, loaded with a dynamic import when first used. */
export const REMOTE_PLUGINS: Readonly<Record<string, string>> = Object.freeze({ s3: '@mlops/plugin-s3' });

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

/** What a remote plugin module may export: a factory from the remote URL (preferred), or `s3ObjectStore`. */
interface RemotePluginModule {
  remoteFromUrl?: (url: string) => ObjectStore | Promise<ObjectStore>;
  s3ObjectStore?: (options: { bucket: string; prefix?: string }) => ObjectStore | Promise<ObjectStore>;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/**
 * Turns a `--remote` value into an {@link ObjectStore}:
 *
 * - a folder (`/mnt/backup/mlops`, `../remote`, `file:///mnt/backup`) → `fsObjectStore({ dir })`;
 * - `s3://bucket/prefix` → `@mlops/plugin-s3`, imported only now (install it beside the CLI). The plugin's
 *   `remoteFromUrl(url)` is called when it exports one, else `s3ObjectStore({ bucket, prefix })`.
 *
 * A missing plugin is `NOT_CONFIGURED` naming the package to install; an unknown scheme is `UNSUPPORTED`.
 */
export async function resolveRemote(spec: string, options: ResolveRemoteOptions = {}): Promise<ObjectStore> {
  const cwd = options.cwd ?? process.cwd();
  const m = SCHEME.exec(spec);
  if (!m) return fsObjectStore({ dir: resolve(cwd, spec) });
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'file') return fsObjectStore({ dir: fileURLToPath(spec) });
  const specifier = REMOTE_PLUGINS[scheme];
  if (!specifier) {
    throw new MlopsError('UNSUPPORTED', {
      message: `Unsupported remote "${spec}": expected a folder path, file://…, or ${Object.keys(REMOTE_PLUGINS)
        .map((s) => `${s}://…`)
        .join(', ')}`,
      details: [{ path: 'remote', message: `unknown scheme ${scheme}://` }],
    });
  }
  const load = options.importModule ?? ((s: string) => import(s));
  let mod: RemotePluginModule;
  try {
    mod = (await load(specifier)) as RemotePluginModule;
  } catch (cause) {
    if (!isModuleNotFound(cause, specifier)) throw cause;
    throw new MlopsError('NOT_CONFIGURED', {
      message: `${scheme}:// remotes need the ${specifier} package: npm install ${specifier}`,
      details: { remote: spec, package: specifier },
      cause,
    });
  }
  if (typeof mod.remoteFromUrl === 'function') return mod.remoteFromUrl(spec);
  if (scheme === 's3' && typeof mod.s3ObjectStore === 'function') {
    const rest = spec.slice(m[0].length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
    if (bucket === '') {
      throw new MlopsError('INVALID_URL', {
        message: `Invalid remote "${spec}": expected s3://<bucket>/<prefix>`,
        details: [{ path: 'remote', message: 'empty bucket' }],
      });
    }
    return mod.s3ObjectStore(prefix ? { bucket, prefix } : { bucket });
  }
  throw new MlopsError('UNSUPPORTED', {
    message: `${specifier} exports neither remoteFromUrl(url) nor s3ObjectStore(options)`,
    details: { package: specifier },
  });
}
