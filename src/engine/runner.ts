// Runs a configuration end to end: the projection of each side (the headline), then the local, verified run —
// autotune, both styles on the same inputs, kernels timed alone, "your GPU as the unit" and measured timelines —
// and the schema-2 result JSON.

import { kMaxLocalUnits, normalizedConfig, squarest, type Config } from '../config/params.ts';
import { kNaiveKey } from '../gpu/kernels.ts';
import { predict, planSide, projectedStepUs, sideLayout, specOfWorkload, stylesOf, targetSummary, kVersion } from '../model/predict.ts';
import { hardwareNotes, project, targetsFor } from '../model/project.ts';
import { isLlm, llmRecord } from '../model/llm.ts';
import { gflopsOf, median, summarize } from '../stats/stats.ts';
import { layoutOf, type Layout, type Plan } from '../workloads/index.ts';
import { autotune, kernelTable } from './autotune.ts';
import { checkStopped, startPool, type Context, type RunHooks } from './context.ts';
import { Inputs, allocate, calibrate, commPairs, deploy, readLedger, step, uploader, verify } from './deploy.ts';
import { emulateStep, emulationText, measuredTimelineOf, modelInfo, modelled, timeScale, timelineOf } from './emulate.ts';
import { pickTransport, preflight } from './limits.ts';
import { bytesSent } from './program.ts';
import { runRecord } from './record.ts';
import type { Env, Result, RunRecord } from './result.ts';
import { runAllReduce } from './sweep.ts';
import { emptyCheck, type Check } from './verify.ts';

export { ConfigError } from './limits.ts';
export { StoppedError, type RunHooks } from './context.ts';
export { kVersion } from '../model/predict.ts';

/**
 * Runs one step style: warm-up, calibration, timed steps, verification, emulation of `plan` (the local plan of
 * `layout`). The record's target is the projection of `full` (the configuration asked for) when what runs here is a
 * scaled-down instance of it.
 */
async function runStep(ctx: Context, layout: Layout, plan: Plan, share: [number, number], full: Config): Promise<RunRecord> {
  const { c, hooks } = ctx;
  const style = layout.style;
  const targets = targetsFor(c, layout);
  const scaled = full !== c;
  const fullLayout = scaled ? sideLayout(full, style) : layout;
  const fullPlan = scaled ? planSide(full, fullLayout) : plan;
  const projection = project(fullPlan, scaled ? targetsFor(full, fullLayout) : targets);
  const progress = (what: string, f: number) => hooks.progress(`${style}: ${what}`, share[0] + (share[1] - share[0]) * f);
  progress('starting workers', 0);
  const pool = await startPool(ctx, style, style === 'wafer' ? 1 : layout.units);
  try {
    const d = deploy(plan, pool);
    if (style === 'cluster') await pool.link(ctx.transport, commPairs(d));
    progress('uploading inputs', 0.02);
    await allocate(d, uploader(d, ctx.inputs));
    for (let i = 0; i < c.warmup; i++) {
      checkStopped(hooks.signal);
      progress(`warm-up ${i + 1}/${c.warmup}`, 0.05);
      await step(d);
    }
    // A scaled-down instance has none of the target's balance of compute to communication: its transfers are
    // replayed as measured here, not priced at the target's links.
    const target = modelled(c, style) && !scaled ? targets.mid : null;
    const scale = timeScale(targets.mid, ctx.localGflops * 1e9);
    const iterations: RunRecord['iterations'] = [];
    const replays: ReturnType<typeof emulateStep>[] = [];
    const measured: Awaited<ReturnType<typeof step>>[] = [];
    for (let i = 0; i < c.iters; i++) {
      checkStopped(hooks.signal);
      const hiddenBefore = hooks.isHidden();
      // Each step's kernels are also timed alone right before it, so the emulated and the measured step of an
      // iteration see the same machine conditions (and a step, not a timing run, leaves the buffers for verification).
      const calib = await calibrate(d, 1);
      const s = await step(d);
      const hidden = hiddenBefore || hooks.isHidden();
      const r = emulateStep(d, target, scale, calib, 0, s.events);
      replays.push(r);
      measured.push(s);
      iterations.push({ stepMs: s.wallMs, emulatedStepMs: r.step, hidden });
      hooks.iteration?.(style, i, { stepMs: s.wallMs, emulatedStepMs: r.step, hidden, gflops: gflopsOf(plan.flops, r.step) });
      progress(`step ${i + 1}/${c.iters}`, 0.15 + (0.75 * (i + 1)) / c.iters);
    }
    let check: Check = emptyCheck();
    const spec = specOfWorkload(c);
    if (c.verify && spec.reference) {
      progress('verifying against the CPU reference', 0.92);
      check = await verify(d, await spec.reference(c, plan, ctx.inputs));
    }
    const kernelKeys = [...new Set((await pool.all('listing kernels', (api) => api.usedKernels())).flat())].sort();
    const ledger = await readLedger(pool);
    const all = iterations.map((it, i) => ({ it, r: replays[i]!, s: measured[i]! }));
    const kept = all.filter((x) => !x.it.hidden);
    const use = kept.length ? kept : all;
    if (!kept.length) ctx.notes.push(`${style}: every iteration ran while the tab was hidden; statistics use them anyway`);
    const emu = summarize(use.map((x) => x.r.step));
    const gf = summarize(use.map((x) => gflopsOf(plan.flops, x.r.step)));
    // The timeline shown is the iteration whose emulated step is the median.
    const mid = use.reduce((best, x) => (Math.abs(x.r.step - emu.median) < Math.abs(best.r.step - emu.median) ? x : best), use[0]!);
    const exposed = median(use.map((x) => x.r.exposedComm));
    const record = runRecord(full, fullPlan, projection, {
      linkModel: modelInfo(target, scale),
      commBytes: Math.max(0, ...bytesSent(d.lowered)),
      verified: c.verify ? check.verified : false,
      maxAbsErr: check.maxAbsErr,
      maxRelErr: check.maxRelErr,
      checked: check.checked,
      ...(check.firstWrong
        ? { error: `verification failed: ${check.wrong} of ${check.checked} checked elements wrong; first: ${check.firstWrong}` }
        : {}),
      stepMs: summarize(use.map((x) => x.it.stepMs)),
      emulatedStepMs: emu,
      gflops: { median: gf.median, p10: gf.p10, p90: gf.p90 },
      computeMs: median(use.map((x) => x.r.compute)),
      commMs: median(use.map((x) => x.r.comm)),
      exposedCommMs: exposed,
      commFraction: emu.median > 0 ? exposed / emu.median : 0,
      timeline: timelineOf(d.logical, mid.r),
      measuredTimeline: measuredTimelineOf(d.graph, mid.s.events, mid.s.t0),
      iterations,
      kernelKeys,
      ledger,
      emulation: `${scaled ? `the scaled-down instance (${plan.describe}); ` : ''}${emulationText(style, layout.units, target !== null)}`,
    });
    if (isLlm(full)) record.llm = llmRecord(full, fullLayout, fullPlan, projection, projectedStepUs);
    return record;
  } finally {
    await pool.close();
  }
}

/** The layouts a local run uses: each side capped at kMaxLocalUnits units (the projection stands for more). */
export function localLayouts(c: Config, notes: string[]): Layout[] {
  const counts: (number | undefined)[] = [];
  if (c.sweep === 'shards') {
    for (let u = 1; u < Math.min(c.shards, kMaxLocalUnits); u *= 2) counts.push(u);
    counts.push(Math.min(c.shards, kMaxLocalUnits));
  } else counts.push(undefined);
  const out: Layout[] = [];
  for (const style of stylesOf(c)) {
    for (const u of counts) {
      let layout = sideLayout(c, style, u);
      if (layout.units > kMaxLocalUnits) {
        const capped = style === 'wafer' ? squarest(kMaxLocalUnits) : null;
        notes.push(
          `local run: ${style} emulates ${kMaxLocalUnits} ${style === 'wafer' ? `tiles (${capped!.rows}x${capped!.cols})` : 'shards'}, the most this page runs; the projection for ${layout.units} stands`,
        );
        layout = layoutOf(c, style, kMaxLocalUnits);
      }
      out.push(layout);
    }
  }
  return out;
}

/** Runs `c` and returns the result JSON. Throws StoppedError when stopped, Error with a clear message otherwise. */
export async function runBenchmark(c: Config, hooks: RunHooks): Promise<Result> {
  const startedAt = new Date().toISOString();
  const notes: string[] = [...hardwareNotes(c)];
  const spec = specOfWorkload(c);
  // A model runs here as a scaled-down instance of the same structure; the projection stands for the full size.
  const local = spec.localConfig?.(c) ?? c;
  if (local !== c)
    notes.push(
      `local run: ${spec.label} as a scaled-down instance (hidden ${local.hidden}, ${local.heads} heads, ${local.kvHeads} KV heads, FFN ${local.ffn}, vocabulary ${local.vocab}, ${local.layers} layers, batch ${local.batch}); the target figures are for the full model`,
    );
  const layouts = localLayouts(local, notes);
  // Every layout is checked (and refused with the reason) before anything starts.
  const plans = layouts.map((layout) => planSide(local, layout, true));
  const transport = pickTransport(c);
  await preflight(local, layouts);
  const ctx: Context = {
    c: local,
    hooks,
    inputs: new Inputs(c.seed),
    ranking: [],
    localGflops: 1,
    transport,
    caps: null,
    notes,
    backend: 'webgpu',
    cpuReason: '',
  };
  const tune = await autotune(ctx, hooks);
  ctx.ranking = tune.ranking;
  ctx.localGflops = tune.gflops;
  checkStopped(hooks.signal);
  const caps = ctx.caps!;
  const env: Env = {
    userAgent: navigator.userAgent,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    transport,
    timestampQuery: caps.timestampQuery,
    adapter: caps.adapter,
    features: caps.features,
    limits: caps.limits,
    backend: ctx.backend,
  };
  const result: Result = {
    schema: 2,
    tool: 'wafer-bench',
    version: kVersion,
    startedAt,
    config: normalizedConfig(c),
    env,
    runs: [],
    collectives: [],
    summary: {
      waferGflops: null,
      clusterGflops: null,
      speedup: null,
      waferCommFraction: null,
      clusterCommFraction: null,
      waferUnits: null,
      clusterUnits: null,
    },
    localGflops: tune.gflops,
    autotune: { ranking: tune.ranking, cached: tune.cached },
    notes,
  };
  if (hooks.kernels) {
    result.kernels = await kernelTable(ctx, hooks);
    if (!result.kernels.some((k) => k.key === kNaiveKey)) notes.push('the naive variant could not run at this shape');
  }
  for (const [ji, layout] of layouts.entries()) {
    checkStopped(hooks.signal);
    const share: [number, number] = [0.05 + (0.95 * ji) / layouts.length, 0.05 + (0.95 * (ji + 1)) / layouts.length];
    if (spec.kind === 'sweep') {
      const { rows, record, ceiling } = await runAllReduce(ctx, layout, share);
      result.collectives.push(...rows);
      if (ceiling) result.ceiling = ceiling;
      result.runs.push(record);
    } else {
      result.runs.push(await runStep(ctx, layout, plans[ji]!, share, c));
    }
    hooks.partial?.(result);
  }
  if (c.sweep === 'shards') {
    const units = [...new Set(layouts.map((l) => l.units))].sort((a, b) => a - b);
    const at = (mode: string, u: number) => result.runs.find((r) => r.mode === mode && r.units === u);
    result.scaling = units.map((u) => ({
      units: u,
      waferGflops: at('wafer', u)?.gflops.median ?? null,
      clusterGflops: at('cluster', u)?.gflops.median ?? null,
      waferUs: at('wafer', u)?.target?.stepUs ?? null,
      clusterUs: at('cluster', u)?.target?.stepUs ?? null,
    }));
  }
  if (c.sweep === 'size') result.sizeSweep = predict(c, undefined, { curve: false }).sizeSweep;
  const last = (mode: string) => result.runs.filter((r) => r.mode === mode).at(-1);
  const w = last('wafer');
  const cl = last('cluster');
  const steps = spec.kind === 'step';
  result.summary = {
    waferGflops: w && steps ? w.gflops.median : null,
    clusterGflops: cl && steps ? cl.gflops.median : null,
    speedup: w && cl && steps ? w.gflops.median / cl.gflops.median : null,
    waferCommFraction: w ? w.commFraction : null,
    clusterCommFraction: cl ? cl.commFraction : null,
    waferUnits: w ? w.units : null,
    clusterUnits: cl ? cl.units : null,
    target: targetSummary(c, result.runs),
  };
  if (!steps && w && cl) {
    const wt = result.collectives.filter((x) => x.mode === 'wafer').at(-1);
    const ct = result.collectives.filter((x) => x.mode === 'cluster').at(-1);
    if (wt && ct) {
      result.summary.speedup = ct.measuredTimeUs / wt.measuredTimeUs;
      if (wt.timeUs > 0) result.summary.target!.speedup = ct.timeUs / wt.timeUs;
      if (wt.band && ct.band)
        result.summary.target!.speedupBand = { low: ct.band.lowUs / wt.band.highUs, high: ct.band.highUs / wt.band.lowUs };
    }
  }
  return result;
}
