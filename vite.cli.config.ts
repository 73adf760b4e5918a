// Vite: the Node side (CLI and static server) built as ES modules for Node 20, which cannot run TypeScript itself.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    ssr: true,
    target: 'node20',
    rollupOptions: {
      input: { bench: 'src/cli/bench.ts', start: 'src/cli/start.ts', predict: 'src/cli/predict.ts', calibrate: 'src/cli/calibrate.ts' },
      output: { format: 'es', entryFileNames: '[name].js' },
    },
  },
});
