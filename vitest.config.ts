import { defineConfig } from 'vitest/config';
// @ts-expect-error -- plain .mjs helper shared with the build scripts
import { listWorkspaces } from './scripts/workspaces.mjs';

// Tests import workspace packages by name (`@mlops/core`, `@mlops/core/testing`); point those at the sources so
// `npm test` never depends on a stale build.
const alias = (listWorkspaces() as { dir: string; pkg: { name: string } }[]).flatMap(({ dir, pkg }) => {
  const name = pkg.name.replace(/[/\\^$.*+?()[\]{}|-]/g, '\\$&');
  return [
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
