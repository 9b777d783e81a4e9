#!/usr/bin/env node
// Fails on any import cycle among the repository's TypeScript sources, type-only imports included: a cycle of
// `import type` lines is still a knot a reader has to untangle. dpdm builds the graph from the TypeScript syntax tree
// (without its --transform mode, which would drop type-only imports), resolving `./x.js` to `./x.ts` and workspace
// names (`@mlops/core`, `@mlops/core/…`) to their sources through tsconfig.json's `paths`.
//
//   node scripts/check-cycles.mjs            the whole repository (npm run check:packages runs this first)
//   node scripts/check-cycles.mjs DIR        every .ts/.tsx/.mts/.cts under DIR (DIR/tsconfig.json if there is one)
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseCircular, parseDependencyTree } from 'dpdm';
import { ROOT } from './workspaces.mjs';

/** The folders of the repository whose sources are checked. */
export const REPOSITORY_ROOTS = ['packages', 'examples', 'bench', 'scripts'];

const SOURCE = /\.(?:ts|tsx|mts|cts)$/;
/** Folders never walked into, nor followed by an import: installed and built code. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'coverage']);

/** Every TypeScript source under `dir`, skipping installed, built and hidden folders. */
function sourcesUnder(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) out.push(...sourcesUnder(path));
    } else if (entry.isFile() && SOURCE.test(entry.name)) {
      out.push(path);
    }
  }
  return out;
}

/**
 * The import cycles among the TypeScript sources under `roots` (folders relative to `cwd`), each as the list of
 * files (relative to `cwd`) that import each other in turn; `[]` when there is none.
 *
 * @param {{ cwd: string, roots?: string[], tsconfig?: string }} options
 * @returns {Promise<{ files: number, cycles: string[][] }>}
 */
export async function findCycles({ cwd, roots = ['.'], tsconfig }) {
  const files = roots.filter((r) => existsSync(join(cwd, r))).flatMap((r) => sourcesUnder(join(cwd, r)));
  const config = tsconfig ?? (existsSync(join(cwd, 'tsconfig.json')) ? join(cwd, 'tsconfig.json') : undefined);
  const tree = await parseDependencyTree(
    files.map((f) => relative(cwd, f)),
    {
      cwd,
      context: cwd,
      tsconfig: config,
      transform: false, // keep `import type` / `export type … from` edges
      skipDynamicImports: false,
      exclude: /[\\/](?:node_modules|dist|coverage)[\\/]/,
    },
  );
  return { files: files.length, cycles: parseCircular(tree) };
}

/** One cycle as `a.ts → b.ts → a.ts`. */
export function formatCycle(cycle) {
  return [...cycle, cycle[0]].join(' → ');
}

async function main() {
  const [dir] = process.argv.slice(2);
  const started = Date.now();
  const { files, cycles } = dir
    ? await findCycles({ cwd: resolve(dir) })
    : await findCycles({ cwd: ROOT, roots: REPOSITORY_ROOTS });
  const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
  if (cycles.length > 0) {
    console.error(`import cycles (type-only imports count), ${cycles.length} found in ${files} files (${took}):`);
    for (const c of cycles) console.error(`  ${formatCycle(c)}`);
    console.error('Break each one: move what both sides need into a module that imports neither.');
    process.exit(1);
  }
  console.log(`no import cycles in ${files} files (${took})`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
