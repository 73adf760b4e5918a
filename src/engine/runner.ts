// Runs a benchmark configuration end to end: autotune, both execution styles on the same inputs, verification,
// calibration of kernels alone, the emulated timelines, and the result JSON.

import { normalizedConfig, squarest, tilesOf, type Config } from '../config/params.ts';
import { kNaiveKey } from '../gpu/kernels.ts';
import { gflopsOf, median, summarize } from '../stats/stats.ts';
import { autotune, kernelTable } from './autotune.ts';
import { checkStopped, emulationText, modelInfo, startPool, targetUs, type Context, type RunHooks } from './context.ts';
import { Inputs, allocate, commPairs, deploy, readLedger, reference, step, uploader, verify, calibrate } from './deploy.ts';
import { emulateStep, measuredTimelineOf, timelineOf, unitModel } from './emulate.ts';
import { ConfigError, pickTransport, preflight } from './limits.ts';
import { bytesSent } from './program.ts';
import type { Env, Result, RunRecord } from './result.ts';
import { emptyCheck, type Check } from './verify.ts';
import { layoutProblem, stepPlan, type Style } from './workloads.ts';
import { runAllReduce } from './sweep.ts';

export { ConfigError } from './limits.ts';
export { StoppedError, type RunHooks } from './context.ts';

export const kVersion = '0.1.0';

/** Runs one GEMM or MLP style: warm-up, calibration, timed steps, verification, emulation. */
async function runStep(ctx: Context, style: Style, units: number | undefined, share: [number, number]): Promise<RunRecord> {
  const { c, hooks } = ctx;
  const plan = stepPlan(c, style, units);
  const unitCount = plan.program.units;
  const progress = (what: string, f: number) => hooks.progress(`${style}: ${what}`, share[0] + (share[1] - share[0]) * f);
  progress('starting workers', 0);
  const pool = await startPool(ctx, style, style === 'wafer' ? 1 : unitCount);
  try {
    const d = deploy(plan, style, pool);
    if (style === 'cluster') await pool.link(ctx.transport, commPairs(plan));
    progress('uploading inputs', 0.02);
    await allocate(d, uploader(d, ctx.inputs));
    for (let i = 0; i < c.warmup; i++) {
      checkStopped(hooks.signal);
      progress(`warm-up ${i + 1}/${c.warmup}`, 0.05);
      await step(d);
    }
    const model = unitModel(c, style, unitCount);
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
      const r = emulateStep(plan, d.graph, model, ctx.localGflops * 1e9, calib, 0, s.events);
      replays.push(r);
      measured.push(s);
      iterations.push({ stepMs: s.wallMs, emulatedStepMs: r.stepMs, hidden });
      hooks.iteration?.(style, i, { stepMs: s.wallMs, emulatedStepMs: r.stepMs, hidden, gflops: gflopsOf(plan.flops, r.stepMs) });
      progress(`step ${i + 1}/${c.iters}`, 0.15 + (0.75 * (i + 1)) / c.iters);
    }
    let check: Check = emptyCheck();
    if (c.verify) {
      progress('verifying against the CPU reference', 0.92);
      check = await verify(d, await reference(c, plan, ctx.inputs, unitCount));
    }
    const kernelKeys = [...new Set((await pool.all('listing kernels', (api) => api.usedKernels())).flat())].sort();
    const ledger = await readLedger(pool);
    const kept = iterations.map((it, i) => ({ it, r: replays[i]!, s: measured[i]! })).filter((x) => !x.it.hidden);
    const use = kept.length ? kept : iterations.map((it, i) => ({ it, r: replays[i]!, s: measured[i]! }));
    if (!kept.length) ctx.notes.push(`${style}: every iteration ran while the tab was hidden; statistics use them anyway`);
    const emu = summarize(use.map((x) => x.r.stepMs));
    const gf = summarize(use.map((x) => gflopsOf(plan.flops, x.r.stepMs)));
    // The timeline shown is the iteration whose emulated step is the median.
    const mid = use.reduce((best, x) => (Math.abs(x.r.stepMs - emu.median) < Math.abs(best.r.stepMs - emu.median) ? x : best), use[0]!);
    const exposed = median(use.map((x) => x.r.exposedCommMs));
    const t = style === 'wafer' ? (units ? squarest(units) : tilesOf(c)) : null;
    return {
      mode: style,
      workload: c.workload,
      devices: unitCount,
      units: unitCount,
      tiles: t ? `${t.rows}x${t.cols}` : null,
      strategy: style === 'wafer' ? (c.workload === 'mlp' ? 'weight-stationary' : 'summa') : c.workload === 'mlp' ? 'megatron' : c.strategy,
      collective: plan.collective,
      link: style === 'wafer' ? c.fabric : c.link,
      linkModel: modelInfo(model, ctx.localGflops),
      flops: plan.flops,
      commBytes: Math.max(0, ...bytesSent(plan.program)),
      verified: c.verify ? check.verified : false,
      maxAbsErr: check.maxAbsErr,
      maxRelErr: check.maxRelErr,
      checked: check.checked,
      ...(check.firstWrong
        ? { error: `verification failed: ${check.wrong} of ${check.checked} checked elements wrong; first: ${check.firstWrong}` }
        : {}),
      stepMs: summarize(use.map((x) => x.it.stepMs)),
      emulatedStepMs: emu,
      targetStepUs: targetUs(model, ctx.localGflops, emu.median),
      gflops: { median: gf.median, p10: gf.p10, p90: gf.p90 },
      computeMs: median(use.map((x) => x.r.computeMs)),
      commMs: median(use.map((x) => x.r.commMs)),
      exposedCommMs: exposed,
      commFraction: emu.median > 0 ? exposed / emu.median : 0,
      timeline: timelineOf(d.graph, mid.r),
      measuredTimeline: measuredTimelineOf(d.graph, mid.s.events, mid.s.t0),
      iterations,
      kernelKeys,
      ledger,
      describe: plan.describe,
      emulation: emulationText(style, unitCount, model !== null),
    };
  } finally {
    await pool.close();
  }
}

/** Runs `c` and returns the result JSON. Throws StoppedError when stopped, Error with a clear message otherwise. */
export async function runBenchmark(c: Config, hooks: RunHooks): Promise<Result> {
  const startedAt = new Date().toISOString();
  const notes: string[] = [];
  const styles: Style[] = c.mode === 'compare' ? ['wafer', 'cluster'] : [c.mode];
  const unitCounts: (number | undefined)[] =
    c.sweep === 'shards' ? Array.from({ length: Math.floor(Math.log2(c.shards)) + 1 }, (_, i) => 2 ** i) : [undefined];
  if (c.sweep === 'shards' && unitCounts[unitCounts.length - 1] !== c.shards) unitCounts.push(c.shards);
  for (const style of styles) {
    for (const u of unitCounts) {
      if (c.workload === 'allreduce') continue;
      const problem = layoutProblem(c, style, u);
      if (problem) throw new ConfigError(problem);
    }
  }
  if (c.workload === 'allreduce' && styles.includes('cluster') && c.collective === 'rhd' && (c.shards & (c.shards - 1)) !== 0) {
    throw new ConfigError(
      `collective=rhd (recursive halving-doubling) needs a power-of-two number of shards; got ${c.shards}. Use ring or direct`,
    );
  }
  const transport = pickTransport(c);
  await preflight(c, styles, unitCounts);
  const ctx: Context = {
    c,
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
    schema: 1,
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
  const jobs = styles.flatMap((s) => unitCounts.map((u) => [s, u] as const));
  for (const [ji, [style, u]] of jobs.entries()) {
    checkStopped(hooks.signal);
    const share: [number, number] = [0.05 + (0.95 * ji) / jobs.length, 0.05 + (0.95 * (ji + 1)) / jobs.length];
    if (c.workload === 'allreduce') {
      const units = u ?? (style === 'wafer' ? tilesOf(c).rows * tilesOf(c).cols : c.shards);
      const { rows, record, ceiling } = await runAllReduce(ctx, style, units, share);
      result.collectives.push(...rows);
      if (ceiling) result.ceiling = ceiling;
      result.runs.push(record);
    } else {
      result.runs.push(await runStep(ctx, style, u, share));
    }
    hooks.partial?.(result);
  }
  if (c.sweep === 'shards') {
    result.scaling = unitCounts.map((u) => ({
      units: u!,
      waferGflops: result.runs.find((r) => r.mode === 'wafer' && r.units === u)?.gflops.median ?? null,
      clusterGflops: result.runs.find((r) => r.mode === 'cluster' && r.units === u)?.gflops.median ?? null,
    }));
  }
  const pick = (mode: Style) => {
    const rs = result.runs.filter((r) => r.mode === mode);
    return rs[rs.length - 1];
  };
  const w = pick('wafer');
  const cl = pick('cluster');
  result.summary = {
    waferGflops: w && c.workload !== 'allreduce' ? w.gflops.median : null,
    clusterGflops: cl && c.workload !== 'allreduce' ? cl.gflops.median : null,
    speedup: w && cl && c.workload !== 'allreduce' ? w.gflops.median / cl.gflops.median : null,
    waferCommFraction: w ? w.commFraction : null,
    clusterCommFraction: cl ? cl.commFraction : null,
    waferUnits: w ? w.units : null,
    clusterUnits: cl ? cl.units : null,
  };
  if (c.workload === 'allreduce' && w && cl) {
    const wt = result.collectives.filter((x) => x.mode === 'wafer').at(-1);
    const ct = result.collectives.filter((x) => x.mode === 'cluster').at(-1);
    if (wt && ct) result.summary.speedup = ct.timeUs / wt.timeUs;
  }
  return result;
}
