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

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/**/*.test.ts', 'examples/**/*.test.ts', 'scripts/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Nothing beyond 127.0.0.1: a test that tries fails (scripts/network-guard.mjs).
    setupFiles: ['./scripts/vitest-setup.mjs'],
  },
});
