import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsup';
import { buildUi } from './build-ui.js';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
  },
  format: ['esm'],
  target: 'node20',
  dts: true,
  sourcemap: true,
  clean: true,
  // The browser bundle (Preact app) goes to dist/ui, shipped with the package: no CDN, works offline.
  onSuccess: async () => {
    await buildUi({ outdir: fileURLToPath(new URL('./dist/ui', import.meta.url)) });
  },
});
