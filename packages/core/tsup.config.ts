import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
  },
  format: ['esm'],
  target: 'node20',
  dts: true,
  sourcemap: true,
  clean: true,
  // vitest is only needed by the conformance suites in ./testing, which run inside a caller's vitest.
  external: ['vitest', 'pg', '@electric-sql/pglite'],
});
