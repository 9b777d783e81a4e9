import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MlopsError } from '@mlops/core';

/** The front-end files (`app.js`, `app.css`), by name. */
export type AssetLoader = () => Promise<Map<string, Uint8Array>>;

const HERE = fileURLToPath(import.meta.url);
// Running from src/ (vitest, tsx) this file is src/_internal/assets.ts; built, it is bundled into dist/index.js.
const FROM_SOURCE = HERE.endsWith('.ts');
const PACKAGE_ROOT = FROM_SOURCE ? resolve(dirname(HERE), '../..') : resolve(dirname(HERE), '..');

/** Where the build puts the front end: `dist/ui` of this package. */
export const DEFAULT_ASSETS_DIR = join(PACKAGE_ROOT, 'dist', 'ui');

const NAMES = ['app.js', 'app.css'] as const;

/**
 * Loads the front end once: from `dir` when given; built (`dist/ui`) when running from dist; bundled on demand with
 * esbuild when running from the sources (tests, development), so a test never serves a stale bundle.
 */
export function assetLoader(dir: string | undefined): AssetLoader {
  let loaded: Promise<Map<string, Uint8Array>> | undefined;
  const load = async () => {
    if (dir === undefined && FROM_SOURCE) {
      const modulePath = join(PACKAGE_ROOT, 'build-ui.ts');
      const { buildUi } = (await import(modulePath)) as {
        buildUi: () => Promise<Map<string, Uint8Array>>;
      };
      return buildUi();
    }
    const from = dir ?? DEFAULT_ASSETS_DIR;
    const files = new Map<string, Uint8Array>();
    for (const name of NAMES) {
      try {
        files.set(name, await readFile(join(from, name)));
      } catch (cause) {
        throw new MlopsError('NOT_CONFIGURED', {
          message: `The dashboard's front end is missing (${join(from, name)}): build it with "npm run build -w @mlops/dashboard"`,
          cause,
        });
      }
    }
    return files;
  };
  return () => {
    loaded ??= load();
    loaded.catch(() => {
      loaded = undefined;
    });
    return loaded;
  };
}
