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
  // core is a peer dependency; onnxruntime-node ships a native addon and onnx-proto is large: never bundle them.
  external: ['@mlops/core', 'onnxruntime-node', 'onnx-proto'],
});
