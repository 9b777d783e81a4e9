import { defineConfig } from 'tsup';

// One entry per `exports` subpath of package.json. dist mirrors src (`dist/<x>.js` is built from `src/<x>.ts`), which
// is how vitest.config.ts and scripts/docs-api.mjs find the source behind a subpath.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'auth/index': 'src/auth/index.ts',
    'datasets/index': 'src/datasets/index.ts',
    'http/index': 'src/http/index.ts',
    'metrics/index': 'src/metrics/index.ts',
    'objects/index': 'src/objects/index.ts',
    'predictions/index': 'src/predictions/index.ts',
    'preprocessing/index': 'src/preprocessing/index.ts',
    'retrain-decisions/index': 'src/retrain-decisions/index.ts',
    'store/pglite': 'src/store/pglite.ts',
    'store/postgres': 'src/store/postgres.ts',
    'testing/index': 'src/testing/index.ts',
    'tracking/index': 'src/tracking/index.ts',
  },
  format: ['esm'],
  target: 'node20',
  dts: true,
  sourcemap: true,
  clean: true,
  // vitest is only needed by the conformance suites in ./testing, which run inside a caller's vitest.
  external: ['vitest', 'pg', '@electric-sql/pglite'],
});
