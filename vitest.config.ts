import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
// @ts-expect-error -- plain .mjs helper shared with the build scripts
import { listWorkspaces } from './scripts/workspaces.mjs';

// Tests import workspace packages by name (`@mlops/core`, `@mlops/core/dataset-versions`); point those at the sources
// so `npm test` never depends on a stale build. Each `exports` subpath maps to the source its build comes from (dist
// mirrors src: `./dist/datasets/index.js` is built from `src/datasets/index.ts`, as scripts/docs-api.mjs assumes), so
// a subpath named unlike its folder resolves too; other names fall back to `src/index.ts` and `src/<rest>`.
type Workspace = { dir: string; pkg: { name: string; exports?: Record<string, string | { default?: string }> } };
const escapeRe = (s: string) => s.replace(/[/\\^$.*+?()[\]{}|-]/g, '\\$&');
const alias = (listWorkspaces() as Workspace[]).flatMap(({ dir, pkg }) => {
  const name = escapeRe(pkg.name);
  const fromExports = Object.entries(pkg.exports ?? {}).flatMap(([subpath, target]) => {
    const file = typeof target === 'string' ? target : target.default;
    const m = file?.match(/^\.\/dist\/(.+)\.js$/);
    if (!m) return [];
    const specifier = subpath === '.' ? name : `${name}/${escapeRe(subpath.slice(2))}`;
    return [{ find: new RegExp(`^${specifier}$`), replacement: `${dir}/src/${m[1]}.ts` }];
  });
  return [
    ...fromExports,
    { find: new RegExp(`^${name}$`), replacement: `${dir}/src/index.ts` },
    { find: new RegExp(`^${name}/(.+)$`), replacement: `${dir}/src/$1` },
  ];
});

/** Test files run at once on a 2-core machine: see `maxWorkers` below. */
const MAX_WORKERS = 3;

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/**/*.test.ts', 'examples/**/*.test.ts', 'scripts/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // A process per test file: PGlite (WASM), onnxruntime-node and the suites that spawn, signal and kill processes
    // are at home there, and no file sees another's module state.
    pool: 'forks',
    // Files at once. vitest's default (one per core, minus one) ran a single file at a time on a 2-core machine, while
    // many files spend part of their time waiting: on the processes they start, PostgreSQL, PGlite's file I/O, timers.
    // MAX_WORKERS measured on 2 cores (CONTRIBUTING.md, "Running the tests"); more cores, one per core.
    // `--maxWorkers=N` or VITEST_MAX_WORKERS=N overrides it (1: one file at a time, to profile one).
    maxWorkers: Math.max(MAX_WORKERS, availableParallelism()),
    // Nothing beyond 127.0.0.1: a test that tries fails (scripts/network-guard.mjs).
    setupFiles: ['./scripts/vitest-setup.mjs'],
    // After the run: the slowest files, the time per package and the total against the test budget.
    reporters: ['default', './scripts/test-durations.mjs'],
  },
});
