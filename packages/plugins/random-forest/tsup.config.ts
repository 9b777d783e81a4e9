import { defineConfig } from 'tsup';

export default defineConfig({
  // `worker` is loaded by the trainer with `new URL('./worker.js', import.meta.url)`, so it must sit beside index.js.
  entry: {
    index: 'src/index.ts',
    worker: 'src/worker.ts',
  },
  format: ['esm'],
  target: 'node20',
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  // A peer dependency: the application's single copy of core is used, never a bundled one.
  external: ['@mlops/core', 'ml-random-forest'],
});
