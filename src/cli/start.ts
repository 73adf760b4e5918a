// `npm start`: serves the built app at http://127.0.0.1:4173/ (PORT overrides) with COOP/COEP headers.

import { startServer } from './serve.ts';

const port = Number(process.env.PORT ?? 4173);
// ISOLATE=0 serves without COOP/COEP, as a plain static host would.
const isolate = process.env.ISOLATE !== '0';
const { url } = await startServer({ root: 'dist', port, isolate });
process.stdout.write(
  `wafer-bench is served at ${url}${isolate ? '' : ' (no COOP/COEP: not cross-origin isolated)'}\n  default benchmark: ${url}?autorun=1\n  quick check:       ${url}?m=128&n=128&k=128&iters=5&autorun=1\nOpen it in a browser with WebGPU (Chrome/Edge; on Linux: --enable-unsafe-webgpu). Ctrl+C stops.\n`,
);
