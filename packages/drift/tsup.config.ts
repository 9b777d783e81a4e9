import { defineConfig } from 'tsup';

export default defineConfig({
  // arrow and parquet: optional adapters whose peer dependencies (apache-arrow, hyparquet) stay external
  // detect-worker: loaded by detectDrift's `workers` with new URL('./detect-worker.js', import.meta.url), beside index.js
  entry: {
    index: 'src/index.ts',
    arrow: 'src/arrow.ts',
    parquet: 'src/parquet.ts',
    'detect-worker': 'src/detect/worker.ts',
  },
  format: ['esm'],
  target: 'es2022',
  platform: 'neutral',
  dts: true,
  sourcemap: true,
  clean: true,
});
