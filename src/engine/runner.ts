// Runs a benchmark configuration end to end: autotune, both execution styles on the same inputs, verification,
// calibration of kernels alone, the emulated timelines, and the result JSON.

import { normalizedConfig, squarest, tilesOf, type Config } from '../config/params.ts';
import { mulberry32, streamSeed } from '../config/rng.ts';
import { maxBindingBytes, type Capabilities } from '../gpu/device.ts';
import { kNaiveKey } from '../gpu/kernels.ts';
import { gflopsOf, mean, median, summarize } from '../stats/stats.ts';
import type { UnitModel } from '../config/presets.ts';
import { emulateStep, measuredTimelineOf, measuredTransfers, timelineOf, unitModel } from './emulate.ts';
import type { ExecEvent, ExecOp, FaultSpec, KernelRow } from './exec.ts';
import { buildGraph, clusterResources, meshResources, type Graph } from './graph.ts';
import { Pool } from './pool.ts';
import { bytesSent, signature, type ComputeOp } from './program.ts';
import type { Ceiling, CollectiveRow, Env, KernelResult, Result, RunRecord } from './result.ts';
import { checkBlock, emptyCheck, gemmReference, mlpReference, type Check, type Reference } from './verify.ts';
import { allReducePlan, layoutProblem, stepPlan, type Placement, type Plan, type Style } from './workloads.ts';
import type { TransportKind } from './transport.ts';

export const kVersion = '0.1.0';

export interface RunHooks {
  signal: AbortSignal;
  progress(phase: string, fraction: number): void;
  /** Called after each timed iteration with what is known so far (for live charts). */
  iteration?(mode: Style, i: number, it: { stepMs: number; emulatedStepMs: number; hidden: boolean; gflops: number }): void;
  /** Called when a run record or collective row is complete. */
  partial?(result: Result): void;
  isHidden(): boolean;
  cache: { get(key: string): string | null; set(key: string, value: string): void };
  kernels?: boolean;
  /** Test-only: corrupt matmul outputs so that verification must fail. */
  corrupt?: boolean;
  /** Test-only: a fault injected by one cluster shard mid-run. */
  fault?: FaultSpec;
}

/** A configuration this adapter or layout cannot run: the CLI exits 2 for these. */
export class ConfigError extends Error {
  readonly config = true;
}

export class StoppedError extends Error {
  constructor() {
    super('stopped');
  }
}

const kTotalBytesLimit = 3 * 2 ** 30;
const kHostFloatsLimit = 2 ** 28;

function checkStopped(signal: AbortSignal): void {
  if (signal.aborted) throw new StoppedError();
}

function pickTransport(c: Config): TransportKind {
  const isolated = globalThis.crossOriginIsolated === true;
  if (c.transport === 'sab' && !isolated)
    throw new ConfigError(
      'transport=sab needs a cross-origin isolated page (served with COOP/COEP headers); this page is not isolated. Use transport=message or auto',
    );
  if (c.transport === 'auto') return isolated ? 'sab' : 'message';
  return c.transport;
}

/** Refuses, before anything is allocated, a plan whose buffers do not fit the adapter's limits. */
export function checkLimits(plan: Plan, limits: Record<string, number>, style: Style): void {
  const maxBinding = maxBindingBytes(limits);
  let total = 0;
  plan.program.buffers.forEach((bufs, u) => {
    for (const [name, floats] of Object.entries(bufs)) {
      const bytes = floats * 4;
      total += bytes;
      if (bytes > maxBinding) {
        throw new ConfigError(
          `${style} ${plan.mesh ? 'tile' : 'shard'} ${u} needs a ${name} buffer of ${bytes} bytes, over this adapter's limit maxStorageBufferBindingSize/maxBufferSize = ${maxBinding} bytes. Use smaller sizes or more units`,
        );
      }
    }
  });
  if (total > kTotalBytesLimit)
    throw new ConfigError(
      `${style} needs ${(total / 2 ** 30).toFixed(2)} GiB of GPU buffers, over the ${kTotalBytesLimit / 2 ** 30} GiB this page allows. Use smaller sizes`,
    );
  const host = Object.values(plan.matrices).reduce((s, [r, c]) => s + r * c, 0);
  if (host > kHostFloatsLimit)
    throw new ConfigError(
      `the inputs need ${((host * 4) / 2 ** 30).toFixed(2)} GiB of host memory, over the ${(kHostFloatsLimit * 4) / 2 ** 30} GiB allowed. Use smaller sizes`,
    );
}

/**
 * Checks every plan of the run against the adapter's limits (read on this thread) before any worker starts or any
 * buffer is allocated.
 */
async function preflight(c: Config, styles: Style[], unitCounts: (number | undefined)[]): Promise<void> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
  const adapter = gpu ? await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null) : null;
  const limits: Record<string, number> = adapter
    ? {
        maxStorageBufferBindingSize: Number(adapter.limits.maxStorageBufferBindingSize),
        maxBufferSize: Number(adapter.limits.maxBufferSize),
      }
    : { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 };
  for (const style of styles) {
    for (const u of unitCounts) {
      if (c.workload === 'allreduce') {
        const n = u ?? (style === 'wafer' ? tilesOf(c).rows * tilesOf(c).cols : c.shards);
        checkLimits(allReducePlan(Math.floor(c.maxBytes / 4), n, style === 'wafer' ? 'ring' : c.collective, null), limits, style);
      } else checkLimits(stepPlan(c, style, u), limits, style);
    }
  }
}

/** Yields to the event loop, so long loops on the page's thread never make a long task. */
const yieldNow = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** Seeded inputs, shared by both styles so they compute the same thing; made in slices between yields. */
class Inputs {
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

function block(src: Float32Array, ld: number, r0: number, c0: number, rows: number, cols: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) out.set(src.subarray((r0 + r) * ld + c0, (r0 + r) * ld + c0 + cols), r * cols);
  return out;
}

/** A plan bound to workers: where each unit's buffers live and the op lists each worker runs. */
interface Deployment {
  plan: Plan;
  graph: Graph;
  style: Style;
  pool: Pool;
  /** Worker index and buffer name prefix of each unit. */
  where(unit: number): { worker: number; prefix: string };
  lists: ExecOp[][];
}

function deploy(plan: Plan, style: Style, pool: Pool): Deployment {
  const graph = buildGraph(plan.program, plan.mesh ? meshResources(plan.mesh.cols) : clusterResources);
  const where = style === 'wafer' ? (u: number) => ({ worker: 0, prefix: `${u}/` }) : (u: number) => ({ worker: u, prefix: '' });
  let lists: ExecOp[][];
  if (style === 'wafer') {
    // One device: every unit's ops in one topological order; a transfer becomes an on-device (fabric) copy.
    const list: ExecOp[] = graph.order.map((id) => {
      const n = graph.nodes[id]!;
      const pre = `${n.unit}/`;
      if (n.kind === 'compute') return { ...prefixOp(n.op, pre), node: id };
      return {
        kind: 'fabric',
        src: pre + n.send.buf,
        off: n.send.off,
        dsts: n.recvs.map((r) => ({ buf: `${r.unit}/${r.op.buf}`, off: r.op.off })),
        count: n.send.count,
        label: n.send.label,
        node: id,
      };
    });
    lists = [list];
  } else {
    const nodeOf = new Map<object, number>();
    graph.nodes.forEach((n) => {
      if (n.kind === 'compute') nodeOf.set(n.op, n.id);
      else {
        nodeOf.set(n.send, n.id);
        n.recvs.forEach((r) => nodeOf.set(r.op, n.id));
      }
    });
    lists = plan.program.ops.map((ops) => ops.map((op) => ({ ...op, node: nodeOf.get(op)! })));
  }
  return { plan, graph, style, pool, where, lists };
}

function prefixOp(op: ComputeOp, pre: string): ComputeOp {
  switch (op.kind) {
    case 'matmul':
      return { ...op, a: pre + op.a, b: pre + op.b, c: pre + op.c };
    case 'gelu':
      return { ...op, buf: pre + op.buf };
    case 'add':
    case 'copy':
      return { ...op, dst: pre + op.dst, src: pre + op.src };
  }
}

/** Allocates every unit's buffers, then fills each input placement (`put` uploads it or has the worker make it). */
async function allocate(d: Deployment, put: (p: Placement, buf: string, worker: number) => Promise<void>): Promise<void> {
  const perWorker = d.pool.members.map(() => ({}) as Record<string, number>);
  d.plan.program.buffers.forEach((bufs, u) => {
    const w = d.where(u);
    for (const [name, floats] of Object.entries(bufs)) perWorker[w.worker]![w.prefix + name] = floats;
  });
  await d.pool.all('allocating buffers', (api, i) => api.alloc(perWorker[i]!));
  for (const p of d.plan.inputs) {
    const w = d.where(p.unit);
    await put(p, w.prefix + p.buf, w.worker);
  }
}

/** Uploads a placement's block of a seeded input matrix. */
function uploader(d: Deployment, inputs: Inputs) {
  return async (p: Placement, buf: string, worker: number): Promise<void> => {
    const [rows, cols] = d.plan.matrices[p.matrix]!;
    const data = block(await inputs.get(p.matrix, rows, cols), cols, p.r0, p.c0, p.rows, p.cols);
    await d.pool.call(worker, 'uploading inputs', (api) => api.upload(buf, p.off, data));
  };
}

/** One step on every worker at once; events come back tagged with the unit they ran for. */
async function step(d: Deployment): Promise<{ wallMs: number; t0: number; events: (ExecEvent & { unit: number })[] }> {
  const t0 = performance.timeOrigin + performance.now();
  const per = await d.pool.all('running a step', (api, i) => api.run(d.lists[i]!));
  const wallMs = performance.timeOrigin + performance.now() - t0;
  const events = per.flatMap((evs, i) => evs.map((e) => ({ ...e, unit: d.style === 'wafer' ? d.graph.nodes[e.node]!.unit : i })));
  return { wallMs, t0, events };
}

/** Times every distinct compute op alone (one worker at a time), `samples` times. */
async function calibrate(d: Deployment, samples: number): Promise<Map<string, number[]>> {
  const bySig = new Map<string, { worker: number; op: ExecOp }>();
  d.lists.forEach((list, worker) => {
    for (const op of list) {
      if (op.kind === 'send' || op.kind === 'recv' || op.kind === 'fabric') continue;
      const sig = signature(op);
      if (!bySig.has(sig)) bySig.set(sig, { worker, op });
    }
  });
  const out = new Map<string, number[]>();
  for (let w = 0; w < d.pool.size; w++) {
    const mine = [...bySig].filter(([, v]) => v.worker === w);
    if (!mine.length) continue;
    const times = await d.pool.call(w, 'timing kernels alone', (api) =>
      api.calibrate(
        mine.map(([, v]) => v.op),
        samples,
      ),
    );
    mine.forEach(([sig], i) => out.set(sig, times[i]!));
  }
  return out;
}

async function verify(d: Deployment, ref: Reference): Promise<Check> {
  const check = emptyCheck();
  for (const p of d.plan.outputs) {
    const w = d.where(p.unit);
    const got = await d.pool.call(w.worker, 'reading results', (api) => api.download(w.prefix + p.buf, p.off, p.rows * p.cols));
    checkBlock(got, p, ref, check);
  }
  return check;
}

async function reference(c: Config, plan: Plan, inputs: Inputs, units: number): Promise<Reference> {
  const [m, k] = plan.matrices.A ?? [0, 0];
  if (plan.result === 'C') {
    const n = plan.matrices.B![1];
    return gemmReference(await inputs.get('A', m, k), await inputs.get('B', k, n), m, n, k, units);
  }
  const F = 4 * c.hidden;
  const W1 = await Promise.all(Array.from({ length: c.layers }, (_, l) => inputs.get(`W1.${l}`, c.hidden, F)));
  const W2 = await Promise.all(Array.from({ length: c.layers }, (_, l) => inputs.get(`W2.${l}`, F, c.hidden)));
  return mlpReference(await inputs.get('X', c.tokens, c.hidden), W1, W2, c.tokens, c.hidden, units);
}

function commPairs(plan: Plan): [number, number][] {
  const out: [number, number][] = [];
  plan.program.ops.forEach((ops, u) => ops.forEach((op) => op.kind === 'send' && op.to.forEach((t) => out.push([u, t]))));
  return out;
}

interface Context {
  c: Config;
  hooks: RunHooks;
  inputs: Inputs;
  ranking: string[];
  localGflops: number;
  transport: TransportKind;
  caps: Capabilities | null;
  notes: string[];
  backend: 'webgpu' | 'cpu';
  cpuReason: string;
}

async function startPool(ctx: Context, style: Style, size: number): Promise<Pool> {
  const pool = new Pool(size, style, ctx.c.timeout);
  const onAbort = () => pool.terminate();
  ctx.hooks.signal.addEventListener('abort', onAbort, { once: true });
  const caps = await pool.init({
    timeoutMs: ctx.c.timeout,
    ranking: ctx.ranking,
    corrupt: ctx.hooks.corrupt === true,
    fault: style === 'cluster' ? ctx.hooks.fault : undefined,
    backend: ctx.backend,
    cpuReason: ctx.cpuReason,
  });
  ctx.caps ??= caps[0]!;
  return pool;
}

/** Runs one GEMM or MLP style: warm-up, calibration, timed steps, verification, emulation. */
async function runStep(ctx: Context, style: Style, units: number | undefined, share: [number, number]): Promise<RunRecord> {
  const { c, hooks } = ctx;
  const plan = stepPlan(c, style, units);
  const unitCount = plan.program.units;
  const progress = (what: string, f: number) => hooks.progress(`${style}: ${what}`, share[0] + (share[1] - share[0]) * f);
  progress('starting workers', 0);
  const pool = await startPool(ctx, style, style === 'wafer' ? 1 : unitCount);
  try {
    checkLimits(plan, ctx.caps!.limits, style);
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
      const r = emulateStep(plan, d.graph, model, ctx.localGflops * 1e9, {
        compute: (n) => (n.kind === 'compute' ? calib.get(signature(n.op))![0]! : 0),
        measured: measuredTransfers(d.graph, s.events),
      });
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

/** GPU memory the workers hold at the end of a run, then what is left after freeing it (must be nothing). */
async function readLedger(pool: Pool): Promise<RunRecord['ledger']> {
  const held = await pool.all('reading the allocation ledger', (api) => api.ledger());
  await pool.all('freeing buffers', (api) => api.freeAll());
  const left = await pool.all('reading the allocation ledger', (api) => api.ledger());
  const sum = (xs: { buffers: number; bytes: number }[]) =>
    xs.reduce((a, x) => ({ buffers: a.buffers + x.buffers, bytes: a.bytes + x.bytes }), { buffers: 0, bytes: 0 });
  return { held: sum(held), leftAfterFree: sum(left), workers: pool.size };
}

/** The link model as recorded in a run: figures, source, and the time scale s = F_target / F_local. */
function modelInfo(model: UnitModel | null, localGflops: number): RunRecord['linkModel'] {
  if (!model) return null;
  return {
    label: model.label,
    source: model.source,
    scale: (model.flops ?? 0) / (localGflops * 1e9),
    gbps: model.bytesPerSec / 1e9,
    alphaUs: model.alphaSec * 1e6,
  };
}

/** An emulated step in the target system's time (µs): local time divided by s; null when transfers are measured. */
function targetUs(model: UnitModel | null, localGflops: number, ms: number): number | null {
  return model?.flops ? ((ms * 1e3) / model.flops) * localGflops * 1e9 : null;
}

function emulationText(style: Style, units: number, modelled: boolean): string {
  const what = style === 'wafer' ? `${units} tiles of one wafer-scale device` : `${units} devices like this one`;
  const links = modelled
    ? style === 'wafer'
      ? 'fabric transfers from the fabric model'
      : 'transfers from the link model'
    : 'transfers as measured here';
  return `emulated: ${what}, each kernel timed alone on this adapter, ${links}; not the wall time of workers sharing this GPU`;
}

/** The nccl-tests style sweep over message sizes, for one style. */
async function runAllReduce(
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
  let last: RunRecord | null = null;
  let ceiling: Ceiling | null = null;
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
      checkLimits(plan, ctx.caps!.limits, style);
      const d = deploy(plan, style, pool);
      if (style === 'cluster' && si === 0) await pool.link(ctx.transport, commPairs(plan));
      await pool.all('freeing buffers', (api) => api.freeAll());
      // Every rank's vector is made by its own worker (seeded, integer-valued, rank-dependent).
      const seeds = Array.from({ length: n }, (_, r) => streamSeed(c.seed + 1000, r));
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
        const r = emulateStep(plan, d.graph, model, ctx.localGflops * 1e9, {
          compute: (nd) => (nd.kind === 'compute' ? calib.get(signature(nd.op))![i % samples]! : 0),
          measured: measuredTransfers(d.graph, s.events),
        });
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
      const emu = summarize(emus);
      last = {
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
        checked: count * n,
        stepMs: summarize(walls),
        emulatedStepMs: emu,
        targetStepUs: targetUs(model, ctx.localGflops, emu.median),
        gflops: { median: 0, p10: 0, p90: 0 },
        computeMs: lastReplay!.computeMs,
        commMs: lastReplay!.commMs,
        exposedCommMs: lastReplay!.exposedCommMs,
        commFraction: emu.median > 0 ? lastReplay!.exposedCommMs / emu.median : 0,
        timeline: timelineOf(d.graph, lastReplay!),
        measuredTimeline: measuredTimelineOf(d.graph, lastStep!.events, lastStep!.t0),
        iterations: walls.map((w, i) => ({ stepMs: w, emulatedStepMs: emus[i]!, hidden: false })),
        kernelKeys: [],
        ledger: await readLedger(pool),
        describe: `${plan.describe} (largest size of the sweep)`,
        emulation: emulationText(style, n, model !== null),
      };
    }
  } finally {
    await pool.close();
  }
  return { rows, record: last!, ceiling };
}

/** Starts one worker on WebGPU; where the worker has none, switches the run to the CPU backend and says why. */
async function probePool(ctx: Context, hooks: RunHooks): Promise<Pool> {
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
async function autotune(ctx: Context, hooks: RunHooks): Promise<{ ranking: string[]; gflops: number; cached: boolean; rows: KernelRow[] }> {
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
async function timeVariants(
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

async function kernelTable(ctx: Context, hooks: RunHooks): Promise<KernelResult[]> {
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
