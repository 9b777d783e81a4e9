import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Flavor, MlopsError } from '@mlops/core';

/** Flavor plugins loaded by `mlops serve` when they are installed: module and factory export. */
export const FLAVOR_PLUGINS: readonly { module: string; factory: string }[] = Object.freeze([
  { module: '@mlops/plugin-onnx', factory: 'onnxFlavor' },
  { module: '@mlops/plugin-random-forest', factory: 'randomForestFlavor' },
  { module: '@mlops/plugin-linear', factory: 'linearFlavor' },
]);

/** Loads a module by package name, or by path (relative to `cwd`) when it starts with `.` or `/`. */
export type ImportModule = (specifier: string) => Promise<unknown>;

/** True when `err` says that `specifier` itself (not one of its imports) is not installed. */
export function isModuleNotFound(err: unknown, specifier: string): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    typeof e.message === 'string' &&
    e.message.includes(specifier)
  );
}

/**
 * The specifier to import for a `--flavor`/config argument: paths become file URLs, package names stay. A path is
 * one that starts with `.` or `/`, or names a file that exists relative to `cwd`: `mlops retrain
 * deploy/retrain.config.mjs` (as the CronJob, compose and CI run it) is that file, not a package named `deploy`.
 */
export function moduleSpecifier(spec: string, cwd: string): string {
  const path = resolve(cwd, spec);
  const isPath = spec.startsWith('.') || isAbsolute(spec) || existsSync(path);
  return isPath ? pathToFileURL(path).href : spec;
}

function isFlavor(v: unknown): v is Flavor<never> {
  const f = v as { name?: unknown; load?: unknown; save?: unknown } | null;
  return typeof f?.name === 'string' && typeof f.load === 'function' && typeof f.save === 'function';
}

/**
 * The flavors `mlops serve` can load packages with: every installed plugin of {@link FLAVOR_PLUGINS}, plus
 * `--flavor <module>[#export]` (a package or a path; the export is a flavor object or a factory returning one,
 * default: the first export whose name ends in `Flavor`).
 */
export async function loadFlavors(
  extra: readonly string[],
  options: { cwd: string; importModule?: ImportModule },
): Promise<Flavor<never>[]> {
  const load = options.importModule ?? ((s: string) => import(s));
  const flavors: Flavor<never>[] = [];
  for (const p of FLAVOR_PLUGINS) {
    let mod: Record<string, unknown>;
    try {
      mod = (await load(p.module)) as Record<string, unknown>;
    } catch (err) {
      if (isModuleNotFound(err, p.module)) continue;
      throw err;
    }
    const factory = mod[p.factory];
    if (typeof factory === 'function') flavors.push((factory as () => Flavor<never>)());
  }
  for (const spec of extra) {
    const hash = spec.lastIndexOf('#');
    const path = hash > 0 ? spec.slice(0, hash) : spec;
    const name = hash > 0 ? spec.slice(hash + 1) : undefined;
    const specifier = moduleSpecifier(path, options.cwd);
    let mod: Record<string, unknown>;
    try {
      mod = (await load(specifier)) as Record<string, unknown>;
    } catch (cause) {
      // Node names a missing path by its resolved file path, not as it was written (`./x.mjs`).
      const missing = specifier.startsWith('file:') ? fileURLToPath(specifier) : path;
      if (!isModuleNotFound(cause, missing)) throw cause;
      throw new MlopsError('NOT_FOUND', {
        message: `Flavor module ${path} not found`,
        details: { flavor: spec },
        cause,
      });
    }
    const key = name ?? Object.keys(mod).find((k) => k.endsWith('Flavor'));
    const value = key === undefined ? undefined : mod[key];
    const flavor = typeof value === 'function' ? (value as () => unknown)() : value;
    if (!isFlavor(flavor)) {
      throw new MlopsError('INVALID_INPUT', {
        message: `--flavor ${spec}: expected ${name ? `export "${name}"` : 'an export named *Flavor'} to be a flavor or a flavor factory`,
        details: [{ path: 'flavor', message: 'not a flavor' }],
      });
    }
    flavors.push(flavor);
  }
  return flavors;
}
