// The nccl-tests style all-reduce sweep: per message size, timed runs, the emulated time on the target link, the
// bytes-path ceiling of this machine, and #wrong from exact integer sums checked by the workers themselves.

import { streamSeed } from '../config/rng.ts';
import { squarest } from '../config/params.ts';
import { mean, summarize } from '../stats/stats.ts';
import { checkStopped, emulationText, modelInfo, startPool, targetUs, type Context } from './context.ts';
import { allocate, calibrate, commPairs, deploy, readLedger, step } from './deploy.ts';
import { emulateStep, measuredTimelineOf, timelineOf, unitModel } from './emulate.ts';
import { bytesSent } from './program.ts';
import type { Ceiling, CollectiveRow, Result, RunRecord } from './result.ts';
import { allReducePlan, type Style } from './workloads.ts';

/** The nccl-tests style sweep over message sizes, for one style. */
export async function runAllReduce(
  ctx: Context,
  style: Style,
  units: number,
  share: [number, number],
): Promise<{ rows: CollectiveRow[]; record: RunRecord; ceiling: Ceiling | null }> {
  const { c, hooks } = ctx;
  const mesh = style === 'wafer' ? (c.tiles ?? squarest(units)) : null;
  const n = mesh ? mesh.rows * mesh.cols : units;
  const algorithm = style === 'wafer' ? 'ring' : c.collective;
  const sizes: number[] = [];
  for (let s = c.minBytes; s <= c.maxBytes; s *= c.factor) sizes.push(Math.max(4, Math.floor(s / 4) * 4));
  const pool = await startPool(ctx, style, style === 'wafer' ? 1 : n);
  const rows: CollectiveRow[] = [];
  let ceiling: Ceiling | null = null;
  // Every rank's vector is made by its own worker (seeded, integer-valued, rank-dependent).
  const seeds = Array.from({ length: n }, (_, r) => streamSeed(c.seed + 1000, r));
  // The run record describes the largest size: what it needs is kept from the last pass of the loop.
  let last: {
    plan: ReturnType<typeof allReducePlan>;
    d: ReturnType<typeof deploy>;
    walls: number[];
    emus: number[];
    s: Awaited<ReturnType<typeof step>>;
    r: ReturnType<typeof emulateStep>;
  } | null = null;
  try {
    const model = unitModel(c, style, n);
    if (style === 'cluster' && n > 1) {
      // The bytes path of one device, measured in this run, bounds what workers sharing this machine can reach.
      hooks.progress('cluster: measuring the bytes path (readback, upload, reduction)', share[0]);
      const p = await pool.call(0, 'measuring the bytes path', (api) => api.bytesPath(sizes[sizes.length - 1]!));
      ceiling = { ...p, workers: n, busbw: 2 / (n * (2 / p.downGBs + 2 / p.upGBs + 1 / p.addGBs)) };
    }
    for (const [si, bytes] of sizes.entries()) {
      checkStopped(hooks.signal);
      const progress = (what: string, f: number) =>
        hooks.progress(`${style}: ${bytes} B ${what}`, share[0] + ((share[1] - share[0]) * (si + f)) / sizes.length);
      const count = bytes / 4;
      const plan = allReducePlan(count, n, algorithm, mesh);
      const d = deploy(plan, style, pool);
      if (style === 'cluster' && si === 0) await pool.link(ctx.transport, commPairs(plan));
      await pool.all('freeing buffers', (api) => api.freeAll());
      await allocate(d, (p, buf, worker) => pool.call(worker, 'filling inputs', (api) => api.fillIntegers(buf, count, seeds[p.unit]!)));
      for (let i = 0; i < c.warmup; i++) await step(d);
      const samples = Math.min(c.iters, 5);
      const calib = await calibrate(d, samples);
      const walls: number[] = [];
      const emus: number[] = [];
      let lastStep: Awaited<ReturnType<typeof step>> | null = null;
      let lastReplay: ReturnType<typeof emulateStep> | null = null;
      for (let i = 0; i < c.iters; i++) {
        checkStopped(hooks.signal);
        const s = await step(d);
        const r = emulateStep(plan, d.graph, model, ctx.localGflops * 1e9, calib, i, s.events);
        walls.push(s.wallMs);
        emus.push(r.stepMs);
        [lastStep, lastReplay] = [s, r];
        progress(`iteration ${i + 1}/${c.iters}`, (i + 1) / (c.iters + 1));
      }
      // #wrong: after the timed runs the outputs are checked against the exact sums (integer-valued data), after one
      // more run; the workers check their own outputs, so the page's thread does no per-element work.
      await step(d);
      let wrong = 0;
      for (const p of plan.outputs) {
        const w = d.where(p.unit);
        wrong += await pool.call(w.worker, 'counting wrong elements', (api) => api.countWrongSum(w.prefix + p.buf, count, seeds));
      }
      // Reported in the target system's time: the balance-preserving model runs everything s times slower.
      const timeUs = targetUs(model, ctx.localGflops, mean(emus)) ?? mean(emus) * 1e3;
      const algbw = bytes / (timeUs * 1e-6) / 1e9;
      const factor = n > 1 ? (2 * (n - 1)) / n : 0;
      rows.push({
        mode: style,
        algorithm,
        devices: n,
        bytes,
        count,
        timeUs,
        algbw,
        busbw: algbw * factor,
        wrong,
        measuredTimeUs: mean(walls) * 1e3,
        measuredBusbw: (bytes / (mean(walls) * 1e-3) / 1e9) * factor,
      });
      hooks.partial?.({ collectives: rows } as unknown as Result);
      last = { plan, d, walls, emus, s: lastStep!, r: lastReplay! };
    }
    const { plan, d, walls, emus, s, r } = last!;
    const emu = summarize(emus);
    const record: RunRecord = {
      mode: style,
      workload: 'allreduce',
      devices: n,
      units: n,
      tiles: mesh ? `${mesh.rows}x${mesh.cols}` : null,
      strategy: 'allreduce',
      collective: algorithm,
      link: style === 'wafer' ? c.fabric : c.link,
      linkModel: modelInfo(model, ctx.localGflops),
      flops: 0,
      commBytes: Math.max(0, ...bytesSent(plan.program)),
      verified: rows.every((x) => x.wrong === 0),
      maxAbsErr: 0,
      maxRelErr: 0,
      checked: (plan.program.buffers[0]!.O ?? 0) * n,
      stepMs: summarize(walls),
      emulatedStepMs: emu,
      targetStepUs: targetUs(model, ctx.localGflops, emu.median),
      gflops: { median: 0, p10: 0, p90: 0 },
      computeMs: r.computeMs,
      commMs: r.commMs,
      exposedCommMs: r.exposedCommMs,
      commFraction: emu.median > 0 ? r.exposedCommMs / emu.median : 0,
      timeline: timelineOf(d.graph, r),
      measuredTimeline: measuredTimelineOf(d.graph, s.events, s.t0),
      iterations: walls.map((w, i) => ({ stepMs: w, emulatedStepMs: emus[i]!, hidden: false })),
      kernelKeys: [],
      ledger: await readLedger(pool),
      describe: `${plan.describe} (largest size of the sweep)`,
      emulation: emulationText(style, n, model !== null),
    };
    return { rows, record, ceiling };
  } finally {
    await pool.close();
  }
}
