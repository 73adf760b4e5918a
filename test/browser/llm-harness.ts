// Transformer-kernel harness (served by the dev server): runs RMSNorm, SwiGLU or attention once on the page's own
// WebGPU device, at offsets into larger buffers laid out with sentinels, and compares the output with the float64
// reference and its bound; everything outside the output region must come back bit for bit as it went in.

import { acquireDevice, type AcquiredDevice } from '../../src/gpu/device.ts';
import { LlmKernels, kAttentionBlockKeys } from '../../src/gpu/llm-kernels.ts';
import { PassTimer } from '../../src/gpu/timing.ts';
import { kOps } from '../../src/ops/index.ts';
import type { AttentionOp, RmsnormOp, SwigluOp } from '../../src/ops/llm.ts';
import {
  attentionRef,
  checkAgainst,
  rmsnormRef,
  swigluRef,
  type AttentionShape,
  type LlmReference,
  type RefCheck,
} from '../../src/ops/llm-reference.ts';
import { randomMatrix } from '../../src/config/rng.ts';

let gpu: AcquiredDevice | null = null;
let kernels: LlmKernels | null = null;
let timer: PassTimer | null = null;

/** A float whose bits say "never written": any change outside an output region is an out-of-bounds write. */
const kSentinel = new Float32Array(new Uint32Array([0xbaadf00d]).buffer)[0]!;
/** Sentinels after every region. */
const kTail = 8;

async function init(): Promise<{ adapter: string; features: string[] }> {
  gpu ??= await acquireDevice(navigator.gpu, false);
  kernels ??= new LlmKernels(gpu.device);
  timer ??= new PassTimer(gpu.device, gpu.caps.timestampQuery);
  const a = gpu.caps.adapter;
  return { adapter: `${a.vendor} ${a.architecture} ${a.description}`.trim(), features: gpu.caps.features };
}

/** Sentinels, then each part at its offset, then kTail sentinels. */
function layout(lead: number, ...parts: Float32Array[]): { data: Float32Array<ArrayBuffer>; offs: number[] } {
  const offs: number[] = [];
  let at = lead;
  for (const p of parts) {
    offs.push(at);
    at += p.length;
  }
  const data = new Float32Array(at + kTail).fill(kSentinel);
  parts.forEach((p, i) => data.set(p, offs[i]));
  return { data, offs };
}

function storage(data: Float32Array<ArrayBuffer>): GPUBuffer {
  const d = gpu!.device;
  const b = d.createBuffer({
    size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  d.queue.writeBuffer(b, 0, data);
  return b;
}

async function read(b: GPUBuffer, count: number): Promise<Float32Array> {
  const d = gpu!.device;
  const st = d.createBuffer({ size: b.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = d.createCommandEncoder();
  enc.copyBufferToBuffer(b, 0, st, 0, b.size);
  d.queue.submit([enc.finish()]);
  await st.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(st.getMappedRange().slice(0, count * 4));
  st.destroy();
  return out;
}

export interface KernelResult extends RefCheck {
  /** The pipeline's cache key. */
  key: string;
  /** Elements outside the output region whose bits changed. */
  untouched: number;
  error: string | null;
  /** One timed run after the checked one (ms), and its rate from the op's FLOP count. */
  ms: number;
  gflops: number;
}

/**
 * Runs `encode` once and checks the output region [outOff, outOff + ref.v.length) of `outInit` (uploaded as the output
 * buffer) against `ref`; then times one more run.
 */
async function runAndCheck(
  outBuf: GPUBuffer,
  outInit: Float32Array,
  outOff: number,
  ref: LlmReference,
  flops: number,
  encode: (pass: GPUComputePassEncoder) => Promise<string>,
): Promise<KernelResult> {
  const d = gpu!.device;
  let key = '';
  d.pushErrorScope('validation');
  let error: string | null = null;
  try {
    const enc = d.createCommandEncoder();
    const pass = enc.beginComputePass();
    key = await encode(pass);
    pass.end();
    d.queue.submit([enc.finish()]);
  } catch (e) {
    error = String(e);
  }
  const scoped = await d.popErrorScope();
  error ??= scoped ? scoped.message : null;
  const got = await read(outBuf, outInit.length);
  const n = ref.v.length;
  const check = checkAgainst(got.subarray(outOff, outOff + n), ref);
  const before = new Uint32Array(outInit.buffer, outInit.byteOffset, outInit.length);
  const after = new Uint32Array(got.buffer, got.byteOffset, got.length);
  let untouched = 0;
  for (let i = 0; i < after.length; i++) if ((i < outOff || i >= outOff + n) && after[i] !== before[i]) untouched++;
  let ms = NaN;
  if (!error) ms = (await timer!.time((pass) => encode(pass).then(() => {}), 1)).ms;
  return { ...check, key, untouched, error, ms, gflops: flops / (ms * 1e6) };
}

export interface RmsnormCase {
  rows: number;
  dim: number;
  /** Offset of y (x sits one further, w at 2, where they have buffers of their own). */
  off: number;
  /** x and y apart; y = x; or w packed after y in y's buffer. */
  mode: 'separate' | 'in-place' | 'w-in-y';
}

async function rmsnorm(c: RmsnormCase): Promise<KernelResult> {
  await init();
  const n = c.rows * c.dim;
  const x = randomMatrix(n, 21, 3);
  const w = randomMatrix(c.dim, 22, 2);
  const eps = 1e-5;
  const ref = rmsnormRef(x, w, c.rows, c.dim, eps);
  const X = layout(c.off + 1, x);
  const W = layout(2, w);
  const Y =
    c.mode === 'in-place'
      ? layout(c.off, x)
      : c.mode === 'w-in-y'
        ? layout(c.off, new Float32Array(n).fill(kSentinel), w)
        : layout(c.off, new Float32Array(n).fill(kSentinel));
  const y = storage(Y.data);
  const xb = c.mode === 'in-place' ? y : storage(X.data);
  const wb = c.mode === 'w-in-y' ? y : storage(W.data);
  const op: Omit<RmsnormOp, 'x' | 'w' | 'y'> = {
    kind: 'rmsnorm',
    offX: c.mode === 'in-place' ? Y.offs[0]! : X.offs[0]!,
    offW: c.mode === 'w-in-y' ? Y.offs[1]! : W.offs[0]!,
    offY: Y.offs[0]!,
    rows: c.rows,
    dim: c.dim,
    eps,
    label: 'rmsnorm',
  };
  const flops = kOps.rmsnorm.flops({ ...op, x: 'x', w: 'w', y: 'y' });
  try {
    return await runAndCheck(y, Y.data, op.offY, ref, flops, (pass) => kernels!.rmsnorm(pass, { ...op, x: xb, w: wb, y }));
  } finally {
    new Set([xb, wb, y]).forEach((b) => b.destroy());
  }
}

export interface SwigluCase {
  count: number;
  off: number;
  /** gate, up and out apart; out = gate; or out = gate with up packed after it in the same buffer. */
  mode: 'separate' | 'in-place' | 'packed';
}

async function swiglu(c: SwigluCase): Promise<KernelResult> {
  await init();
  const g = randomMatrix(c.count, 23, 8);
  // The ends of silu's range: e^100 overflows f32 (the limit −0 must come out, not NaN); e^−100 underflows.
  if (c.count > 2) [g[0], g[1]] = [-100, 100];
  const u = randomMatrix(c.count, 24, 2);
  const ref = swigluRef(g, u, c.count);
  const G = layout(c.off + 1, g);
  const U = layout(3, u);
  const O =
    c.mode === 'separate'
      ? layout(c.off, new Float32Array(c.count).fill(kSentinel))
      : c.mode === 'in-place'
        ? layout(c.off, g)
        : layout(c.off, g, u);
  const out = storage(O.data);
  const gate = c.mode === 'separate' ? storage(G.data) : out;
  const up = c.mode === 'packed' ? out : storage(U.data);
  const op: Omit<SwigluOp, 'gate' | 'up' | 'out'> = {
    kind: 'swiglu',
    offGate: c.mode === 'separate' ? G.offs[0]! : O.offs[0]!,
    offUp: c.mode === 'packed' ? O.offs[1]! : U.offs[0]!,
    offOut: O.offs[0]!,
    count: c.count,
    label: 'swiglu',
  };
  const flops = kOps.swiglu.flops({ ...op, gate: 'g', up: 'u', out: 'o' });
  try {
    return await runAndCheck(out, O.data, op.offOut, ref, flops, (pass) => kernels!.swiglu(pass, { ...op, gate, up, out }));
  } finally {
    new Set([gate, up, out]).forEach((b) => b.destroy());
  }
}

export interface AttentionCase extends AttentionShape {
  off: number;
  /** q, k, v and out apart; out = q; or k and v packed in one (read-only) buffer. */
  mode: 'separate' | 'in-place' | 'kv-packed';
}

async function attention(c: AttentionCase): Promise<KernelResult> {
  await init();
  const s: AttentionShape = {
    batch: c.batch,
    queries: c.queries,
    heads: c.heads,
    kvHeads: c.kvHeads,
    headDim: c.headDim,
    past: c.past,
    ctx: c.ctx,
  };
  const qLen = s.batch * s.queries * s.heads * s.headDim;
  const row = s.kvHeads * s.headDim;
  const q = randomMatrix(qLen, 25, 2);
  const k = randomMatrix(s.batch * s.ctx * row, 26, 2);
  const v = randomMatrix(s.batch * s.ctx * row, 27);
  // Cache rows past the valid ones hold NaN: a kernel that reads one (a mask off by one) poisons its output.
  for (let b = 0; b < s.batch; b++) {
    k.fill(NaN, (b * s.ctx + s.past + s.queries) * row, (b + 1) * s.ctx * row);
    v.fill(NaN, (b * s.ctx + s.past + s.queries) * row, (b + 1) * s.ctx * row);
  }
  const ref = attentionRef(q, k, v, s, { rescaleEvery: kAttentionBlockKeys });
  const Q = layout(c.off + 1, q);
  const K = c.mode === 'kv-packed' ? layout(c.off + 2, k, v) : layout(c.off + 2, k);
  const V = layout(c.off + 3, v);
  const O = c.mode === 'in-place' ? layout(c.off, q) : layout(c.off, new Float32Array(qLen).fill(kSentinel));
  const out = storage(O.data);
  const qb = c.mode === 'in-place' ? out : storage(Q.data);
  const kb = storage(K.data);
  const vb = c.mode === 'kv-packed' ? kb : storage(V.data);
  const op: Omit<AttentionOp, 'q' | 'k' | 'v' | 'out'> = {
    kind: 'attention',
    ...s,
    offQ: c.mode === 'in-place' ? O.offs[0]! : Q.offs[0]!,
    offK: K.offs[0]!,
    offV: c.mode === 'kv-packed' ? K.offs[1]! : V.offs[0]!,
    offOut: O.offs[0]!,
    label: 'attention',
  };
  const flops = kOps.attention.flops({ ...op, q: 'q', k: 'k', v: 'v', out: 'o' });
  try {
    return await runAndCheck(out, O.data, op.offOut, ref, flops, (pass) => kernels!.attention(pass, { ...op, q: qb, k: kb, v: vb, out }));
  } finally {
    new Set([qb, kb, vb, out]).forEach((b) => b.destroy());
  }
}

export const harness = { init, rmsnorm, swiglu, attention };
export type LlmHarness = typeof harness;
(globalThis as unknown as { llmHarness: LlmHarness }).llmHarness = harness;
document.body.dataset.ready = '1';
