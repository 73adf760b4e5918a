/// <reference types="vitest/config" />
// Vite: the app and its module workers, WGSL imported as text, COOP/COEP headers in dev and preview.
import { defineConfig } from 'vite';

export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

export default defineConfig({
  base: './',
  server: { headers: isolationHeaders, host: '127.0.0.1' },
  preview: { headers: isolationHeaders, host: '127.0.0.1', port: 4173 },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    rollupOptions: {
      input: { main: 'index.html', element: 'src/embed/element.ts' },
      // The custom element keeps a stable name so docs sites can load it.
      output: { entryFileNames: (chunk) => (chunk.name === 'element' ? 'wafer-bench-element.js' : 'assets/[name]-[hash].js') },
    },
  },
  // Some tests project whole models (hundreds of layers on both sides): give them time on a busy 2-core machine.
  test: { include: ['test/unit/**/*.test.ts'], testTimeout: 30_000 },
});
