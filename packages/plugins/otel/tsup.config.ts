import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
  },
  format: ['esm'],
  target: 'node20',
  dts: true,
  sourcemap: true,
  clean: true,
  // Peer dependencies (one copy per application) and the OpenTelemetry SDK are never bundled.
  external: ['@mlops/core', /^@opentelemetry\//],
});
