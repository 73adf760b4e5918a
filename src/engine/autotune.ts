// The autotune (every matmul variant timed on this adapter, best first, cached per adapter) and the --kernels table.
// The first worker also decides the backend: WebGPU, or the CPU backend where the worker has none.

import { summarize, median } from '../stats/stats.ts';
import { checkStopped, startPool, type Context, type RunHooks } from './context.ts';
import type { KernelRow } from './exec.ts';
import { Pool } from './pool.ts';
import type { KernelResult } from './result.ts';

/** Starts one worker on WebGPU; where the worker has none, switches the run to the CPU backend and says why. */
export async function probePool(ctx: Context, hooks: RunHooks): Promise<Pool> {
  const start = async (backend: 'webgpu' | 'cpu') => {
    const pool = new Pool(1, 'autotune', ctx.c.timeout);
    hooks.signal.addEventListener('abort', () => pool.terminate(), { once: true });
    try {
      const [caps] = await pool.init({ timeoutMs: ctx.c.timeout, ranking: [], backend, cpuReason: ctx.cpuReason });
      ctx.caps = caps!;
      return pool;
    } catch (e) {
      pool.terminate();
      throw e;
    }
  };
  try {
    return await start('webgpu');
  } catch (e) {
    const msg = (e as Error).message;
    if (!/No WebGPU/.test(msg)) throw e;
    ctx.backend = 'cpu';
    ctx.cpuReason = msg.replace(/^.*?No WebGPU/, 'No WebGPU');
    ctx.notes.push(`CPU backend: ${ctx.cpuReason}. Kernels run as TypeScript loops on the CPU; every figure is a CPU figure.`);
    return start('cpu');
  }
}

/** The autotune: every matmul variant timed at 256³ on this adapter, best first; cached per adapter. */
export async function autotune(
  ctx: Context,
  hooks: RunHooks,
): Promise<{ ranking: string[]; gflops: number; cached: boolean; rows: KernelRow[] }> {
  hooks.progress('autotune: timing matmul variants', 0.01);
  const pool = await probePool(ctx, hooks);
  try {
    const caps = ctx.caps!;
    const key = `wafer-bench:autotune:v1:${ctx.backend}:${caps.adapter.vendor}|${caps.adapter.architecture}|${caps.adapter.description}|${caps.features.join(',')}`;
    const hit = hooks.cache.get(key);
    if (hit && !hooks.kernels) {
      try {
        const v = JSON.parse(hit) as { ranking: string[]; gflops: number };
        if (Array.isArray(v.ranking) && v.gflops > 0) return { ...v, cached: true, rows: [] };
      } catch {
        /* a bad cache entry is measured again */
      }
    }
    const size = ctx.backend === 'cpu' ? 128 : 256;
    const rows = await timeVariants(pool, hooks, [size, size, size], 1, 3, [0.01, 0.04]);
    const ranked = rows.map((r) => ({ key: r.key, g: median(r.samples) })).sort((a, b) => b.g - a.g);
    const out = { ranking: ranked.map((r) => r.key), gflops: ranked[0]?.g ?? 1 };
    hooks.cache.set(key, JSON.stringify(out));
    return { ...out, cached: false, rows };
  } finally {
    await pool.close();
  }
}

/** Times every matmul variant the device can run at m×n×k, one worker call per variant (each bounded by the timeout). */
export async function timeVariants(
  pool: Pool,
  hooks: RunHooks,
  [m, n, k]: number[],
  warmup: number,
  samples: number,
  share: [number, number],
): Promise<KernelRow[]> {
  const keys = await pool.call(0, 'listing variants', (api) => api.variants(n!, k!));
  const rows: KernelRow[] = [];
  for (const [i, key] of keys.entries()) {
    checkStopped(hooks.signal);
    hooks.progress(`matmul variants: ${key} at ${m}x${n}x${k}`, share[0] + ((share[1] - share[0]) * i) / keys.length);
    rows.push(...(await pool.call(0, `timing ${key}`, (api) => api.kernels(m!, n!, k!, warmup, samples, key))));
  }
  return rows;
}

export async function kernelTable(ctx: Context, hooks: RunHooks): Promise<KernelResult[]> {
  const c = ctx.c;
  const pool = await startPool(ctx, 'wafer', 1);
  try {
    const [m, n, k] = c.workload === 'mlp' ? [c.tokens, 4 * c.hidden, c.hidden] : [c.m, c.n, c.k];
    hooks.progress(`kernels: every variant at ${m}x${n}x${k}`, 0.02);
    const rows = await timeVariants(pool, hooks, [m, n, k], Math.min(c.warmup, 2), Math.max(3, Math.min(c.iters, 5)), [0.02, 0.05]);
    return rows.map((r) => {
      const s = summarize(r.samples);
      return { name: r.family, key: r.key, m: r.m, n: r.n, k: r.k, gflops: { median: s.median, p10: s.p10, p90: s.p90 }, source: r.source };
    });
  } finally {
    await pool.close();
  }
}
