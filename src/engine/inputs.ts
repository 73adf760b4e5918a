// Seeded inputs, shared by both styles so they compute the same thing; made in slices between yields so the
// page's thread never makes a long task.

import { mulberry32, streamSeed } from '../config/rng.ts';

/** Yields to the event loop, so long loops on the page's thread never make a long task. */
export const yieldNow = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

export class Inputs {
  private readonly cache = new Map<string, Promise<Float32Array>>();
  constructor(private readonly seed: number) {}
  get(name: string, rows: number, cols: number): Promise<Float32Array> {
    let m = this.cache.get(name);
    if (!m) {
      let h = 0;
      for (const ch of name) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
      // Weights scaled by 1/√fan-in keep activations of order one through the layers.
      m = fill(rows * cols, streamSeed(this.seed, h), name.startsWith('W') ? 1 / Math.sqrt(rows) : 1);
      this.cache.set(name, m);
    }
    return m;
  }
}

/** The values of randomMatrix(count, seed, scale), made 256K at a time. */
async function fill(count: number, seed: number, scale: number): Promise<Float32Array> {
  const next = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = (next() * 2 - 1) * scale;
    if ((i & 0x3ffff) === 0x3ffff) await yieldNow();
  }
  return out;
}
