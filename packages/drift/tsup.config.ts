import { defineConfig } from 'tsup';

export default defineConfig({
  // arrow and parquet: optional adapters whose peer dependencies (apache-arrow, hyparquet) stay external
  entry: { index: 'src/index.ts', arrow: 'src/arrow.ts', parquet: 'src/parquet.ts' },
  format: ['esm'],
  target: 'es2022',
  platform: 'neutral',
  dts: true,
  sourcemap: true,
  clean: true,
});
