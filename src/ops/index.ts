// The compute operations of a program, one record each: what they read and write, what they cost (FLOPs and
// elements moved to and from memory, for the roofline), how timings are shared (the signature), and what they
// compute on the CPU (the CPU backend and the test interpreter run these).

import { gelu } from './math.ts';
import { attention, region, rmsnorm, swiglu, type AttentionOp, type RmsnormOp, type SwigluOp } from './llm.ts';

export type { AttentionOp, RmsnormOp, SwigluOp } from './llm.ts';
export { region } from './llm.ts';

export interface MatmulOp {
  kind: 'matmul';
  a: string;
  offA: number;
  b: string;
  offB: number;
  c: string;
  offC: number;
  m: number;
  n: number;
  k: number;
  accumulate: boolean;
  label: string;
  /** On the target, part of the kernel before it (a fused QKV or gate/up GEMM): no launch of its own. */
  fused?: boolean;
}
export interface GeluOp {
  kind: 'gelu';
  buf: string;
  off: number;
  count: number;
  label: string;
}
/** dst[offDst..] += src[offSrc..] (the reduction of a collective); `src` and `dst` are different buffers. */
export interface AddOp {
  kind: 'add';
  dst: string;
  offDst: number;
  src: string;
  offSrc: number;
  count: number;
  label: string;
  /** The logical collective this reduction belongs to (its cost is the collective's, not a kernel's). */
  coll?: number;
  /** On the target, the epilogue of the kernel before it (a residual add): no launch of its own. */
  fused?: boolean;
}
/** A local copy on one unit (e.g. an out-of-place collective's input to output). */
export interface CopyOp {
  kind: 'copy';
  dst: string;
  offDst: number;
  src: string;
  offSrc: number;
  count: number;
  label: string;
  /** On the target, written by the kernel before it (a KV-cache write): no launch of its own. */
  fused?: boolean;
  /** Copy `n` runs of `count` elements, the i-th from offSrc + i·srcStride to offDst + i·dstStride (one per sequence). */
  blocks?: { n: number; srcStride: number; dstStride: number };
}

export type ComputeOp = MatmulOp | GeluOp | AddOp | CopyOp | RmsnormOp | SwigluOp | AttentionOp;
export type ComputeKind = ComputeOp['kind'];

/** One region an op reads or writes, in elements. */
export interface Access {
  buf: string;
  lo: number;
  hi: number;
  write: boolean;
}

/** The memory of one unit as the CPU implementations see it. */
export type Memory = (buf: string) => Float32Array;

export interface OpSpec<O extends ComputeOp> {
  accesses(op: O): Access[];
  /** Floating-point operations (a multiply-add counts 2). */
  flops(op: O): number;
  /** Elements read from and written to memory at least once (the roofline's memory term). */
  memElems(op: O): number;
  /** Ops with equal signatures take the same time: they are timed once. */
  signature(op: O): string;
  /** What the op computes, on Float32Arrays. */
  cpu(op: O, mem: Memory): void;
}

/** C (+)= A·B in i-k-j order (row-major, streaming rows of B), accumulating in f32 as the kernels do. */
function matmulCpu(op: MatmulOp, mem: Memory): void {
  const [a, b, c] = [mem(op.a), mem(op.b), mem(op.c)];
  const row = new Float32Array(op.n);
  for (let i = 0; i < op.m; i++) {
    if (op.accumulate) row.set(c.subarray(op.offC + i * op.n, op.offC + (i + 1) * op.n));
    else row.fill(0);
    for (let p = 0; p < op.k; p++) {
      const av = a[op.offA + i * op.k + p]!;
      const bo = op.offB + p * op.n;
      for (let j = 0; j < op.n; j++) row[j]! += av * b[bo + j]!;
    }
    c.set(row, op.offC + i * op.n);
  }
}

const matmul: OpSpec<MatmulOp> = {
  accesses(op) {
    const out = [region(op.a, op.offA, op.m * op.k), region(op.b, op.offB, op.k * op.n), region(op.c, op.offC, op.m * op.n, true)];
    if (op.accumulate) out.push(region(op.c, op.offC, op.m * op.n));
    return out;
  },
  flops: (op) => 2 * op.m * op.n * op.k,
  memElems: (op) => op.m * op.k + op.k * op.n + op.m * op.n * (op.accumulate ? 2 : 1),
  signature: (op) =>
    `matmul:${op.m}x${op.n}x${op.k}:${op.accumulate ? 'acc' : 'set'}:${(op.offA % 4) | (op.offB % 4) | (op.offC % 4) ? 'u' : 'a'}`,
  cpu: matmulCpu,
};

const geluOp: OpSpec<GeluOp> = {
  accesses: (op) => [region(op.buf, op.off, op.count), region(op.buf, op.off, op.count, true)],
  // tanh form: about 8 multiply-adds and one tanh per element; counted as 8 FLOPs.
  flops: (op) => 8 * op.count,
  memElems: (op) => 2 * op.count,
  signature: (op) => `gelu:${op.count}`,
  cpu(op, mem) {
    const d = mem(op.buf);
    for (let i = op.off; i < op.off + op.count; i++) d[i] = gelu(d[i]!);
  },
};

const add: OpSpec<AddOp> = {
  accesses: (op) => [region(op.src, op.offSrc, op.count), region(op.dst, op.offDst, op.count), region(op.dst, op.offDst, op.count, true)],
  flops: (op) => op.count,
  memElems: (op) => 3 * op.count,
  signature: (op) => `add:${op.count}`,
  cpu(op, mem) {
    const [d, s] = [mem(op.dst), mem(op.src)];
    for (let i = 0; i < op.count; i++) d[op.offDst + i]! += s[op.offSrc + i]!;
  },
};

/** The runs of a copy (see CopyOp.blocks): one run when it has no blocks. */
export const copyBlocks = (op: CopyOp): NonNullable<CopyOp['blocks']> => op.blocks ?? { n: 1, srcStride: 0, dstStride: 0 };

/** The elements a copy's runs span in its source or its destination. */
const copySpan = (op: CopyOp, stride: 'srcStride' | 'dstStride'): number => {
  const b = copyBlocks(op);
  return (b.n - 1) * b[stride] + op.count;
};

const copy: OpSpec<CopyOp> = {
  accesses: (op) => [region(op.src, op.offSrc, copySpan(op, 'srcStride')), region(op.dst, op.offDst, copySpan(op, 'dstStride'), true)],
  flops: () => 0,
  memElems: (op) => 2 * op.count * copyBlocks(op).n,
  signature: (op) => `copy:${op.count}${op.blocks ? `x${op.blocks.n}` : ''}`,
  cpu(op, mem) {
    const [d, s] = [mem(op.dst), mem(op.src)];
    const { n, srcStride, dstStride } = copyBlocks(op);
    for (let i = 0; i < n; i++) {
      const from = op.offSrc + i * srcStride;
      d.set(s.subarray(from, from + op.count), op.offDst + i * dstStride);
    }
  },
};

export const kOps: { readonly [K in ComputeKind]: OpSpec<Extract<ComputeOp, { kind: K }>> } = Object.freeze({
  matmul,
  gelu: geluOp,
  add,
  copy,
  rmsnorm,
  swiglu,
  attention,
});

export const isComputeKind = (kind: string): kind is ComputeKind => Object.prototype.hasOwnProperty.call(kOps, kind);

/** The record of an op's kind. */
export const specOf = <O extends ComputeOp>(op: O): OpSpec<O> => kOps[op.kind] as unknown as OpSpec<O>;

/** A matmul op with the common defaults (no offsets, no accumulation). */
export function matmulOp(
  a: string | { buf: string; off: number },
  b: string | { buf: string; off: number },
  c: string | { buf: string; off: number },
  [m, n, k]: [number, number, number],
  label: string,
  accumulate = false,
): MatmulOp {
  const at = (x: string | { buf: string; off: number }) => (typeof x === 'string' ? { buf: x, off: 0 } : x);
  const [A, B, C] = [at(a), at(b), at(c)];
  return { kind: 'matmul', a: A.buf, offA: A.off, b: B.buf, offB: B.off, c: C.buf, offC: C.off, m, n, k, accumulate, label };
}
