// Float64 references for the transformer-layer ops (RMSNorm, SwiGLU, attention), each with an error bound per output
// element for an f32 implementation, derived like the GEMM bound γ·Σ|a||b| of src/engine/verify.ts: from the sums of
// absolute values involved, f32 roundoff u = 2^−24 and WGSL's stated accuracies (exp: 3 + 2|x| ULP, inverseSqrt:
// 2 ULP, division: 2.5 ULP; k ULP ≤ 2k·u relative), plus a tiny absolute term for underflow and flushed subnormals.
// Bounds are first order in u: the neglected terms are below 1% of the bound while the bound is below 10^−2
// relative. Inputs are Float32Arrays without offsets (pass subarrays).

import { kF32Roundoff as kU, silu } from './math.ts';
import type { AttentionOp } from './llm.ts';

/** Reference values and the largest error an f32 implementation may have at each, element by element. */
export interface LlmReference {
  v: Float64Array;
  tol: Float64Array;
}

/** Absolute slack for results that underflow (or are flushed to zero) in f32. */
const kTiny = 1e-30;

/**
 * y[r, :] = x[r, :] / sqrt(mean(x[r, :]²) + eps) ∘ w. The mean square D is a sum of positive terms: relative error
 * ≤ (dim + 2)·u (squares, sum, division by dim, + eps, in any order); 1/√D halves it and adds inverseSqrt's 4u (or
 * sqrt and a division's); the two products add 2u each with slack. x may be float64 (a float64 forward pass's
 * residual stream).
 */
export function rmsnormRef(x: Float32Array | Float64Array, w: Float32Array, rows: number, dim: number, eps: number): LlmReference {
  const v = new Float64Array(rows * dim);
  const tol = new Float64Array(rows * dim);
  const rel = ((dim + 4) / 2 + 12) * kU;
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[r * dim + i]! * x[r * dim + i]!;
    const inv = 1 / Math.sqrt(ss / dim + eps);
    for (let i = 0; i < dim; i++) {
      const y = x[r * dim + i]! * inv * w[i]!;
      v[r * dim + i] = y;
      tol[r * dim + i] = rel * Math.abs(y) + kTiny;
    }
  }
  return { v, tol };
}

/**
 * out = silu(gate)·up. exp(−g) is good to (6 + 4|g|)·u; 1 + e^−g passes at most that on (e/(1 + e) ≤ 1) plus u; the
 * division adds 5u and the product u. Where e^−g overflows (g < −88) the f32 result is ±0, within kTiny·|up|.
 */
export function swigluRef(gate: Float32Array, up: Float32Array, count: number): LlmReference {
  const v = new Float64Array(count);
  const tol = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const g = gate[i]!;
    const y = silu(g) * up[i]!;
    v[i] = y;
    tol[i] = (13 + 4 * Math.abs(g)) * kU * Math.abs(y) + kTiny * (1 + Math.abs(up[i]!));
  }
  return { v, tol };
}

export type AttentionShape = Pick<AttentionOp, 'batch' | 'queries' | 'heads' | 'kvHeads' | 'headDim' | 'past' | 'ctx'>;

export interface AttentionRefOptions {
  /**
   * Keys between the online-softmax rescalings of the implementation checked (each rescaling multiplies the running
   * sums by an exp of its own). 1, the default, bounds any streaming order; a two-pass softmax has none: Infinity.
   */
  rescaleEvery?: number;
}

/**
 * Causal grouped-query attention (see AttentionOp), q and out [batch][queries][heads][headDim], k and v
 * [batch][ctx][kvHeads][headDim]. For one output row with exact weights w_j = e^{s_j − m}/Σ e^{s − m} and output o:
 * a relative error ε_j in weight j (the same in the numerator and the denominator, as the kernels keep it) moves o_d
 * by Σ_j w_j ε_j (v_jd − o_d). ε_j gathers the score's error (headDim + 3)·u·scale·Σ_d |q_d k_jd|, the exp of
 * s_j − max and its rounding (8 + 5(m − s_j))·u, and R rescalings by exp(Δmax), 6R·u + 5(m − min s)·u. The sums
 * Σ p·v and Σ p, over n keys and R rescalings, add (n + 2R + 8)·u·(Σ_j w_j |v_jd| + |o_d|) with the final division.
 */
export function attentionRef(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  shape: AttentionShape,
  options: AttentionRefOptions = {},
): LlmReference {
  const { batch, queries, heads, kvHeads, headDim: hd, past, ctx } = shape;
  const every = options.rescaleEvery ?? 1;
  const group = heads / kvHeads;
  const scale = 1 / Math.sqrt(hd);
  const kvRow = kvHeads * hd;
  const out = new Float64Array(batch * queries * heads * hd);
  const tol = new Float64Array(out.length);
  const s = new Float64Array(past + queries);
  const sAbs = new Float64Array(past + queries);
  const w = new Float64Array(past + queries);
  for (let b = 0; b < batch; b++)
    for (let t = 0; t < queries; t++)
      for (let h = 0; h < heads; h++) {
        const row = ((b * queries + t) * heads + h) * hd;
        const base = b * ctx * kvRow + Math.floor(h / group) * hd;
        const n = past + t + 1;
        const R = Number.isFinite(every) ? Math.ceil(n / every) : 0;
        let max = -Infinity;
        let min = Infinity;
        for (let j = 0; j < n; j++) {
          let dot = 0;
          let abs = 0;
          for (let d = 0; d < hd; d++) {
            const x = q[row + d]! * k[base + j * kvRow + d]!;
            dot += x;
            abs += Math.abs(x);
          }
          s[j] = dot * scale;
          sAbs[j] = abs * scale;
          max = Math.max(max, s[j]!);
          min = Math.min(min, s[j]!);
        }
        let sum = 0;
        for (let j = 0; j < n; j++) sum += w[j] = Math.exp(s[j]! - max);
        for (let j = 0; j < n; j++) w[j]! /= sum;
        const common = 6 * R * kU + 5 * (max - min) * kU;
        const accumulate = (n + 2 * R + 8) * kU;
        for (let d = 0; d < hd; d++) {
          let o = 0;
          for (let j = 0; j < n; j++) o += w[j]! * v[base + j * kvRow + d]!;
          let spread = 0;
          let mag = Math.abs(o);
          for (let j = 0; j < n; j++) {
            const vj = v[base + j * kvRow + d]!;
            const eps = (hd + 3) * kU * sAbs[j]! + (8 + 5 * (max - s[j]!)) * kU + common;
            spread += w[j]! * Math.abs(vj - o) * eps;
            mag += w[j]! * Math.abs(vj);
          }
          out[row + d] = o;
          tol[row + d] = spread + accumulate * mag + kTiny;
        }
      }
  return { v: out, tol };
}

/** How an f32 result compares with a reference: elements outside the bound, the largest error and error/bound. */
export interface RefCheck {
  checked: number;
  wrong: number;
  maxErr: number;
  /** max |got − v| / tol: below 1 when every element is within its bound; how close the worst one came. */
  maxRatio: number;
  first: string | null;
}

export function checkAgainst(got: ArrayLike<number>, ref: LlmReference, what = 'out'): RefCheck {
  const c: RefCheck = { checked: ref.v.length, wrong: 0, maxErr: 0, maxRatio: 0, first: null };
  for (let i = 0; i < ref.v.length; i++) {
    const err = Math.abs(got[i]! - ref.v[i]!);
    const ratio = err / ref.tol[i]!;
    if (!(err <= ref.tol[i]!)) {
      c.wrong++;
      c.first ??= `${what}[${i}] = ${got[i]}, expected ${ref.v[i]} ± ${ref.tol[i]!.toExponential(2)}`;
    }
    c.maxErr = Math.max(c.maxErr, Number.isNaN(err) ? Infinity : err);
    c.maxRatio = Math.max(c.maxRatio, Number.isNaN(ratio) ? Infinity : ratio);
  }
  return c;
}
