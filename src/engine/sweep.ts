// The nccl-tests style all-reduce sweep run here: per message size, timed runs, the target's time for the same
// bytes, the bytes-path ceiling of this machine, and #wrong from exact integer sums checked by the workers.

import { kBusFactor } from '../collectives/index.ts';
import { streamSeed } from '../config/rng.ts';
import { collectiveRows } from '../model/predict.ts';
import { project, targetsFor } from '../model/project.ts';
import { mean, summarize } from '../stats/stats.ts';
import { allReducePlan, sweepSizes } from '../workloads/allreduce.ts';
import type { Layout } from '../workloads/plan.ts';
import { checkStopped, startPool, type Context } from './context.ts';
import { allocate, calibrate, commPairs, deploy, readLedger, step } from './deploy.ts';
import { emulateStep, emulationText, measuredTimelineOf, modelInfo, modelled, timeScale, timelineOf } from './emulate.ts';
import { bytesSent } from './program.ts';
import { runRecord } from './record.ts';
import type { Ceiling, CollectiveRow, Result, RunRecord } from './result.ts';

export async function runAllReduce(
  ctx: Context,
  layout: Layout,
  share: [number, number],
): Promise<{ rows: CollectiveRow[]; record: RunRecord; ceiling: Ceiling | null }> {
  const { c, hooks } = ctx;
  const style = layout.style;
  const n = layout.units;
  const sizes = sweepSizes(c);
  const targets = targetsFor(c, layout);
  const targetRows = new Map(collectiveRows(c, layout, targets).map((r) => [r.bytes, r]));
  const target = modelled(c, style) ? targets.mid : null;
  const scale = timeScale(targets.mid, ctx.localGflops * 1e9);
  const pool = await startPool(ctx, style, style === 'wafer' ? 1 : n);
  const rows: CollectiveRow[] = [];
  let ceiling: Ceiling | null = null;
  // Every rank's vector is made by its own worker (seeded, integer-valued, rank-dependent).
  const seeds = Array.from({ length: n }, (_, r) => streamSeed(c.seed + 1000, r));
  let last: {
    d: ReturnType<typeof deploy>;
    walls: number[];
    emus: number[];
    s: Awaited<ReturnType<typeof step>>;
    r: ReturnType<typeof emulateStep>;
  } | null = null;
  try {
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
      const plan = allReducePlan(count, layout);
      const d = deploy(plan, pool);
      if (style === 'cluster' && si === 0) await pool.link(ctx.transport, commPairs(d));
      await pool.all('freeing buffers', (api) => api.freeAll());
      await allocate(d, (p, buf, worker) => pool.call(worker, 'filling inputs', (api) => api.fillIntegers(buf, count, seeds[p.unit]!)));
      for (let i = 0; i < c.warmup; i++) await step(d);
      const calib = await calibrate(d, Math.min(c.iters, 5));
      const walls: number[] = [];
      const emus: number[] = [];
      let lastStep: Awaited<ReturnType<typeof step>> | null = null;
      let lastReplay: ReturnType<typeof emulateStep> | null = null;
      for (let i = 0; i < c.iters; i++) {
        checkStopped(hooks.signal);
        const s = await step(d);
        const r = emulateStep(d, target, scale, calib, i, s.events);
        walls.push(s.wallMs);
        emus.push(r.step);
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
      const t = targetRows.get(bytes);
      rows.push({
        mode: style,
        algorithm: layout.collective,
        devices: n,
        bytes,
        count,
        timeUs: t?.timeUs ?? NaN,
        algbw: t?.algbw ?? NaN,
        busbw: t?.busbw ?? NaN,
        band: t?.band,
        protocol: t?.protocol ?? null,
        wrong,
        measuredTimeUs: mean(walls) * 1e3,
        measuredBusbw: (bytes / (mean(walls) * 1e-3) / 1e9) * kBusFactor.allreduce(n),
      });
      hooks.partial?.({ collectives: rows } as unknown as Result);
      last = { d, walls, emus, s: lastStep!, r: lastReplay! };
    }
    const { d, walls, emus, s, r } = last!;
    const emu = summarize(emus);
    const record = runRecord(c, d.plan, project(d.plan, targets), {
      linkModel: modelInfo(target, scale),
      commBytes: Math.max(0, ...bytesSent(d.lowered)),
      verified: rows.every((x) => x.wrong === 0),
      maxAbsErr: 0,
      maxRelErr: 0,
      checked: (d.plan.program.buffers[0]!.O ?? 0) * n,
      stepMs: summarize(walls),
      emulatedStepMs: emu,
      gflops: { median: 0, p10: 0, p90: 0 },
      computeMs: r.compute,
      commMs: r.comm,
      exposedCommMs: r.exposedComm,
      commFraction: emu.median > 0 ? r.exposedComm / emu.median : 0,
      timeline: timelineOf(d.logical, r),
      measuredTimeline: measuredTimelineOf(d.graph, s.events, s.t0),
      iterations: walls.map((w, i) => ({ stepMs: w, emulatedStepMs: emus[i]!, hidden: false })),
      kernelKeys: [],
      ledger: await readLedger(pool),
      emulation: emulationText(style, n, target !== null),
    });
    record.describe = `${d.plan.describe} (largest size of the sweep)`;
    return { rows, record, ceiling };
  } finally {
    await pool.close();
  }
}
