// CPU references in float64 and the checks of every run: GEMM and MLP outputs on full or sampled rows and
// columns, with tolerances derived from K and the magnitudes involved.

import { gelu, kF32Roundoff as kU, kGeluMaxSlope } from '../ops/math.ts';
import type { Placement } from '../workloads/plan.ts';
import { yieldNow } from './inputs.ts';

export interface Check {
  verified: boolean;
  maxAbsErr: number;
  maxRelErr: number;
  checked: number;
  wrong: number;
  firstWrong: string | null;
}

/** Output elements up to which every element is checked; beyond, sampled rows and columns. */
export const kFullCheck = 256 * 256;

/** Rows (and columns) to check for a rows×cols output. */
export function sampleIndices(count: number, other: number, max = 24): number[] {
  if (count * other <= kFullCheck || count <= max) return [...Array(count).keys()];
  const out = new Set<number>([0, count - 1]);
  for (let i = 1; out.size < max; i++) out.add(Math.floor((i * 7919) % count));
  return [...out].sort((a, b) => a - b);
}

export interface Reference {
  /** Reference value and error bound of element (r, c) of `matrix`, or undefined when it was not computed. */
  at(r: number, c: number, matrix?: string): { v: number; tol: number } | undefined;
}

class SparseRef implements Reference {
  readonly rows = new Map<number, { v: Float64Array; tol: Float64Array }>();
  readonly cols = new Map<number, { v: Float64Array; tol: Float64Array }>();
  at(r: number, c: number) {
    const row = this.rows.get(r);
    if (row) return { v: row.v[c]!, tol: row.tol[c]! };
    const col = this.cols.get(c);
    if (col) return { v: col.v[r]!, tol: col.tol[r]! };
    return undefined;
  }
}

/** GEMM reference C = A·B (row-major) on sampled rows and columns; tolerance γ·Σ|a||b| with γ from K. */
export async function gemmReference(A: Float32Array, B: Float32Array, m: number, n: number, k: number, units: number): Promise<Reference> {
  const ref = new SparseRef();
  const gamma = (k + 2 * units + 8) * kU;
  const rows = sampleIndices(m, n);
  let t = performance.now();
  for (const i of rows) {
    const v = new Float64Array(n);
    const s = new Float64Array(n);
    for (let p = 0; p < k; p++) {
      const a = A[i * k + p]!;
      const aa = Math.abs(a);
      const off = p * n;
      for (let j = 0; j < n; j++) {
        const b = B[off + j]!;
        v[j]! += a * b;
        s[j]! += aa * Math.abs(b);
      }
    }
    ref.rows.set(i, { v, tol: s.map((x) => gamma * x + 1e-30) });
    if (performance.now() - t > 8) {
      await yieldNow();
      t = performance.now();
    }
  }
  if (rows.length < m) {
    for (const j of sampleIndices(n, m)) {
      const v = new Float64Array(m);
      const s = new Float64Array(m);
      for (let i = 0; i < m; i++) {
        let acc = 0;
        let abs = 0;
        for (let p = 0; p < k; p++) {
          const x = A[i * k + p]! * B[p * n + j]!;
          acc += x;
          abs += Math.abs(x);
        }
        v[i] = acc;
        s[i] = gamma * abs + 1e-30;
      }
      ref.cols.set(j, { v, tol: s });
      if (performance.now() - t > 8) {
        await yieldNow();
        t = performance.now();
      }
    }
  }
  return ref;
}

/**
 * MLP reference on sampled token rows (rows are independent): Y = GeLU(X·W1)·W2 per layer, with error bounds
 * carried through the layers (GeLU's slope is at most 1.13; WGSL's tanh adds a small absolute error).
 */
export async function mlpReference(
  X: Float32Array,
  W1: Float32Array[],
  W2: Float32Array[],
  tokens: number,
  hidden: number,
  units: number,
): Promise<Reference> {
  const F = 4 * hidden;
  const ref = new SparseRef();
  const gH = (hidden + 2 * units + 8) * kU;
  const gF = (F + 2 * units + 8) * kU;
  let t = performance.now();
  for (const r of sampleIndices(tokens, hidden)) {
    let x = Float64Array.from(X.subarray(r * hidden, (r + 1) * hidden));
    let ex = new Float64Array(hidden);
    for (let l = 0; l < W1.length; l++) {
      const w1 = W1[l]!;
      const w2 = W2[l]!;
      const h = new Float64Array(F);
      const eh = new Float64Array(F);
      for (let i = 0; i < hidden; i++) {
        const xi = x[i]!;
        const ax = Math.abs(xi);
        const ei = ex[i]!;
        const off = i * F;
        for (let j = 0; j < F; j++) {
          const w = w1[off + j]!;
          h[j]! += xi * w;
          eh[j]! += (gH * ax + ei) * Math.abs(w);
        }
      }
      const g = h.map(gelu);
      const eg = eh.map((e, j) => kGeluMaxSlope * e + 2e-6 * (Math.abs(g[j]!) + 1e-3));
      const y = new Float64Array(hidden);
      const ey = new Float64Array(hidden);
      for (let j = 0; j < F; j++) {
        const gj = g[j]!;
        const ag = Math.abs(gj);
        const ej = eg[j]!;
        const off = j * hidden;
        for (let c = 0; c < hidden; c++) {
          const w = w2[off + c]!;
          y[c]! += gj * w;
          ey[c]! += (gF * ag + ej) * Math.abs(w);
        }
      }
      x = y;
      ex = ey;
      if (performance.now() - t > 8) {
        await yieldNow();
        t = performance.now();
      }
    }
    ref.rows.set(r, { v: x, tol: ex.map((e) => e + 1e-30) });
  }
  return ref;
}

/** Compares a downloaded block against the reference where the reference has values. */
export function checkBlock(got: Float32Array, p: Placement, ref: Reference, into: Check): void {
  for (let r = 0; r < p.rows; r++) {
    for (let c = 0; c < p.cols; c++) {
      const want = ref.at(p.r0 + r, p.c0 + c, p.matrix);
      if (!want) continue;
      const v = got[r * p.cols + c]!;
      const err = Math.abs(v - want.v);
      into.checked++;
      if (!(err <= want.tol)) {
        into.wrong++;
        into.firstWrong ??= `unit ${p.unit} ${p.matrix}[${p.r0 + r}, ${p.c0 + c}] = ${v}, expected ${want.v} ± ${want.tol.toExponential(2)}`;
      }
      if (Number.isFinite(err)) {
        into.maxAbsErr = Math.max(into.maxAbsErr, err);
        into.maxRelErr = Math.max(into.maxRelErr, err / Math.max(Math.abs(want.v), 1e-30));
      } else into.maxAbsErr = Infinity;
    }
  }
  into.verified = into.wrong === 0 && into.checked > 0;
}

export const emptyCheck = (): Check => ({ verified: false, maxAbsErr: 0, maxRelErr: 0, checked: 0, wrong: 0, firstWrong: null });
