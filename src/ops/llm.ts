// The compute ops of a decoder-only transformer layer (Llama 3 style) beyond its GEMMs: RMSNorm, the SwiGLU gate and
// causal grouped-query attention over a KV cache. One record each, like the ops of index.ts; the shapes are checked
// here once, for the CPU semantics and the GPU wrappers alike.

import { silu } from './math.ts';
import type { Access, Memory, OpSpec } from './index.ts';

/** y[r, :] = x[r, :] / sqrt(mean(x[r, :]²) + eps) ∘ w[:] for r < rows (row-major rows × dim; w has dim elements). */
export interface RmsnormOp {
  kind: 'rmsnorm';
  x: string;
  offX: number;
  w: string;
  offW: number;
  /** May be x itself at the same offset (in place); otherwise it must not overlap x or w. */
  y: string;
  offY: number;
  rows: number;
  dim: number;
  eps: number;
  label: string;
}

/** out[i] = silu(gate[i])·up[i] for i < count. */
export interface SwigluOp {
  kind: 'swiglu';
  gate: string;
  offGate: number;
  up: string;
  offUp: number;
  /** May be gate itself at the same offset (in place); otherwise it must not overlap gate or up. */
  out: string;
  offOut: number;
  count: number;
  label: string;
}

/**
 * Causal grouped-query attention of `queries` new tokens per sequence over a KV cache. Row-major layouts:
 * q and out [batch][queries][heads][headDim]; k and v [batch][ctx][kvHeads][headDim], whose rows 0 … past+queries−1
 * are valid (the new tokens' keys and values already written at rows past …). Query t of sequence b attends to cache
 * rows 0 … past+t; head h reads kv head ⌊h / (heads/kvHeads)⌋; scores are scaled by 1/√headDim. Decode is
 * queries = 1; prefill is past = 0.
 */
export interface AttentionOp {
  kind: 'attention';
  q: string;
  offQ: number;
  k: string;
  offK: number;
  v: string;
  offV: number;
  /** May be q itself at the same offset; otherwise it must not overlap q, k or v. */
  out: string;
  offOut: number;
  batch: number;
  queries: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  past: number;
  ctx: number;
  label: string;
}

/** The largest head dimension the attention kernel is built for (its per-invocation output registers). */
export const kMaxHeadDim = 256;

/** The access of `count` elements of `buf` from `off`: a read, or a write. */
export const region = (buf: string, off: number, count: number, write = false): Access => ({ buf, lo: off, hi: off + count, write });

const positive = (label: string, fields: Record<string, number>): void => {
  for (const [name, v] of Object.entries(fields))
    if (!Number.isInteger(v) || v < 1) throw new Error(`${label}: ${name} must be a positive integer, not ${v}`);
};
const offsets = (label: string, fields: Record<string, number>): void => {
  for (const [name, v] of Object.entries(fields))
    if (!Number.isInteger(v) || v < 0) throw new Error(`${label}: ${name} must be a non-negative integer, not ${v}`);
};

/**
 * An output may share its buffer with an input only at the same offset and size (an in-place op: every element is
 * read before it is written, by the same invocation) or without overlap; partial overlap would race on a GPU.
 */
function checkOverlap(
  label: string,
  what: string,
  same: boolean,
  input: [number, number],
  output: [number, number],
  inPlaceOk = true,
): void {
  if (!same) return;
  const [lo, n] = input;
  const [olo, on] = output;
  if (inPlaceOk && lo === olo && n === on) return;
  if (lo < olo + on && olo < lo + n) throw new Error(`${label}: ${what} overlaps the output without being it`);
}

/** Elements of one K or V cache, and of its valid rows per sequence. */
const kvSpan = (op: AttentionOp): number => ((op.batch - 1) * op.ctx + op.past + op.queries) * op.kvHeads * op.headDim;
const qCount = (op: AttentionOp): number => op.batch * op.queries * op.heads * op.headDim;

export function checkRmsnorm(op: RmsnormOp): void {
  positive(op.label, { rows: op.rows, dim: op.dim });
  offsets(op.label, { offX: op.offX, offW: op.offW, offY: op.offY });
  if (!(op.eps >= 0)) throw new Error(`${op.label}: eps must be ≥ 0, not ${op.eps}`);
  const n = op.rows * op.dim;
  checkOverlap(op.label, 'x', op.x === op.y, [op.offX, n], [op.offY, n]);
  checkOverlap(op.label, 'w', op.w === op.y, [op.offW, op.dim], [op.offY, n], false);
}

export function checkSwiglu(op: SwigluOp): void {
  positive(op.label, { count: op.count });
  offsets(op.label, { offGate: op.offGate, offUp: op.offUp, offOut: op.offOut });
  checkOverlap(op.label, 'gate', op.gate === op.out, [op.offGate, op.count], [op.offOut, op.count]);
  checkOverlap(op.label, 'up', op.up === op.out, [op.offUp, op.count], [op.offOut, op.count], false);
}

export function checkAttention(op: AttentionOp): void {
  const { batch, queries, heads, kvHeads, headDim, ctx } = op;
  positive(op.label, { batch, queries, heads, kvHeads, headDim, ctx });
  offsets(op.label, { past: op.past, offQ: op.offQ, offK: op.offK, offV: op.offV, offOut: op.offOut });
  if (heads % kvHeads) throw new Error(`${op.label}: heads (${heads}) must be a multiple of kvHeads (${kvHeads})`);
  if (headDim > kMaxHeadDim) throw new Error(`${op.label}: headDim ${headDim} is above ${kMaxHeadDim}`);
  if (op.past + queries > ctx) throw new Error(`${op.label}: past + queries (${op.past + queries}) exceeds the cache's ${ctx} rows`);
  const n = qCount(op);
  checkOverlap(op.label, 'q', op.q === op.out, [op.offQ, n], [op.offOut, n]);
  checkOverlap(op.label, 'k', op.k === op.out, [op.offK, kvSpan(op)], [op.offOut, n], false);
  checkOverlap(op.label, 'v', op.v === op.out, [op.offV, kvSpan(op)], [op.offOut, n], false);
}

/** Keys query t attends to, summed over the queries: Σ_{t<queries} (past + t + 1). */
export const attendedKeys = (op: Pick<AttentionOp, 'past' | 'queries'>): number =>
  op.queries * op.past + (op.queries * (op.queries + 1)) / 2;

/** The valid cache rows of each sequence, merged into one region where they are contiguous. */
function cacheRegions(buf: string, off: number, op: AttentionOp): Access[] {
  const row = op.kvHeads * op.headDim;
  const valid = (op.past + op.queries) * row;
  if (op.past + op.queries === op.ctx || op.batch === 1) return [region(buf, off, kvSpan(op))];
  return Array.from({ length: op.batch }, (_, b) => region(buf, off + b * op.ctx * row, valid));
}

export const rmsnorm: OpSpec<RmsnormOp> = {
  accesses: (op) => [region(op.x, op.offX, op.rows * op.dim), region(op.w, op.offW, op.dim), region(op.y, op.offY, op.rows * op.dim, true)],
  // Per element: square, add, scale, weight; the per-row mean and inverse square root are not counted.
  flops: (op) => 4 * op.rows * op.dim,
  memElems: (op) => 2 * op.rows * op.dim + op.dim,
  signature: (op) => `rmsnorm:${op.rows}x${op.dim}`,
  cpu(op, mem) {
    checkRmsnorm(op);
    const [x, w, y] = [mem(op.x), mem(op.w), mem(op.y)];
    const eps = Math.fround(op.eps);
    for (let row = 0; row < op.rows; row++) {
      const xo = op.offX + row * op.dim;
      const yo = op.offY + row * op.dim;
      let ss = 0;
      for (let i = 0; i < op.dim; i++) ss = Math.fround(ss + Math.fround(x[xo + i]! * x[xo + i]!));
      const inv = Math.fround(1 / Math.sqrt(Math.fround(Math.fround(ss / op.dim) + eps)));
      // Each element is read before it is written, so y may be x.
      for (let i = 0; i < op.dim; i++) y[yo + i] = Math.fround(x[xo + i]! * inv) * w[op.offW + i]!;
    }
  },
};

export const swiglu: OpSpec<SwigluOp> = {
  accesses: (op) => [region(op.gate, op.offGate, op.count), region(op.up, op.offUp, op.count), region(op.out, op.offOut, op.count, true)],
  // Negate, exp (counted as one), add, divide, multiply, and one to spare for the exp's range reduction.
  flops: (op) => 6 * op.count,
  memElems: (op) => 3 * op.count,
  signature: (op) => `swiglu:${op.count}`,
  cpu(op, mem) {
    checkSwiglu(op);
    const [g, u, o] = [mem(op.gate), mem(op.up), mem(op.out)];
    for (let i = 0; i < op.count; i++) o[op.offOut + i] = Math.fround(silu(g[op.offGate + i]!)) * u[op.offUp + i]!;
  },
};

/**
 * Per query row: scores in f32 (each dot product accumulated in float64, then rounded), the row max subtracted, the
 * weights exp(s − max) rounded to f32 and summed in f32, and the weighted sum of values divided by that sum.
 */
function attentionCpu(op: AttentionOp, mem: Memory): void {
  checkAttention(op);
  const [q, k, v, out] = [mem(op.q), mem(op.k), mem(op.v), mem(op.out)];
  const { batch, queries, heads, kvHeads, headDim: hd, past, ctx } = op;
  const group = heads / kvHeads;
  const scale = Math.fround(1 / Math.sqrt(hd));
  const qRow = new Float32Array(hd);
  const p = new Float32Array(past + queries);
  const acc = new Float64Array(hd);
  const kvRow = kvHeads * hd;
  for (let b = 0; b < batch; b++)
    for (let t = 0; t < queries; t++)
      for (let h = 0; h < heads; h++) {
        const row = ((b * queries + t) * heads + h) * hd;
        // Copied first: out may be q, and this row's output overwrites this row's query.
        qRow.set(q.subarray(op.offQ + row, op.offQ + row + hd));
        const base = b * ctx * kvRow + Math.floor(h / group) * hd;
        const n = past + t + 1;
        let max = -Infinity;
        for (let j = 0; j < n; j++) {
          const ko = op.offK + base + j * kvRow;
          let dot = 0;
          for (let d = 0; d < hd; d++) dot += qRow[d]! * k[ko + d]!;
          p[j] = Math.fround(dot) * scale;
          max = Math.max(max, p[j]!);
        }
        let sum = 0;
        acc.fill(0);
        for (let j = 0; j < n; j++) {
          p[j] = Math.exp(Math.fround(p[j]! - max));
          sum = Math.fround(sum + p[j]!);
          const vo = op.offV + base + j * kvRow;
          for (let d = 0; d < hd; d++) acc[d]! += p[j]! * v[vo + d]!;
        }
        for (let d = 0; d < hd; d++) out[op.offOut + row + d] = Math.fround(acc[d]!) / sum;
      }
}

export const attention: OpSpec<AttentionOp> = {
  accesses: (op) => [
    region(op.q, op.offQ, qCount(op)),
    ...cacheRegions(op.k, op.offK, op),
    ...cacheRegions(op.v, op.offV, op),
    region(op.out, op.offOut, qCount(op), true),
  ],
  // Per (sequence, head, query, key): q·k and p·v, a multiply-add per head dimension each.
  flops: (op) => 4 * op.batch * op.heads * op.headDim * attendedKeys(op),
  // q and out once; every valid K and V row once (the heads of a group share them).
  memElems: (op) => 2 * qCount(op) + 2 * op.batch * op.kvHeads * op.headDim * (op.past + op.queries),
  signature: (op) => `attention:b${op.batch}:q${op.queries}:h${op.heads}/${op.kvHeads}:d${op.headDim}:past${op.past}:ctx${op.ctx}`,
  cpu: attentionCpu,
};
