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

const TEST_FILES = ['packages/**/*.test.ts', 'examples/**/*.test.ts', 'scripts/**/*.test.ts'];
/**
 * Files that replace a module with `vi.mock`: they get a module graph of their own (the `isolated` project). Every
 * other file shares its worker's module graph with the files before it (`isolate: false`), which saved a third of the
 * suite's time here: each file no longer re-imports core, zod and PGlite (import time 99 s → 28 s, the whole run
 * 337 s → 257 s on 2 cores). A test file that mocks a module must be listed here; so must one that depends on
 * module state no other file may have touched.
 */
const ISOLATED_FILES = ['packages/core/test/datasets-durability.test.ts'];

export default defineConfig({
  resolve: { alias },
  test: {
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
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: TEST_FILES,
          isolate: false,
          exclude: ['**/node_modules/**', '**/dist/**', ...ISOLATED_FILES],
        },
      },
      { extends: true, test: { name: 'isolated', include: ISOLATED_FILES } },
    ],
  },
});
