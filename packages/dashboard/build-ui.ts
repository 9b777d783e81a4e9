// Bundles the front end (ui/main.tsx: Preact + JSX, and its CSS) with esbuild into app.js + app.css.
// Used by tsup.config.ts (onSuccess: into dist/ui) and by the dashboard itself when it runs from src/ (tests, dev).
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('.', import.meta.url));

/** Bundles the UI. With `outdir`, writes files there; without, returns them in memory (name → bytes). */
export async function buildUi(options: { outdir?: string } = {}): Promise<Map<string, Uint8Array>> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { app: 'ui/main.tsx' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
    outdir: options.outdir ?? 'dist/ui',
    write: options.outdir !== undefined,
  });
  const files = new Map<string, Uint8Array>();
  for (const f of result.outputFiles ?? []) files.set(f.path.split(/[\\/]/).pop()!, f.contents);
  return files;
}
