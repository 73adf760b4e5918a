// The float64 forward pass of a decode or prefill step, as the reference the local run is checked against: every
// layer's output (X1 … XL) and the logits of the last token of every sequence.
//
// The tolerance: the step passes through dozens of f32 kernels per layer whose first-order error bounds compound layer
// after layer and grow loose, so each output element is checked within 1e-3 of its tensor's RMS plus 1e-3 of itself
// — about a hundred times the error f32 shows at these sizes, and far below what a wrong weight slice, head mapping,
// causal mask, cache write or residual gives (errors of the order of the values). Each kernel on its own is held to
// its rigorous bound in test/browser/llm-kernels.spec.ts.

import type { Config } from '../../config/params.ts';
import type { Inputs } from '../../engine/inputs.ts';
import type { Reference } from '../../engine/verify.ts';
import { rmsnormRef } from '../../ops/llm-reference.ts';
import { silu } from '../../ops/math.ts';
import type { Plan } from '../plan.ts';
import { kEps, shapeOf, stepOf } from './shape.ts';

const kRel = 1e-3;

function matmul(a: Float64Array, w: Float32Array, m: number, n: number, k: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]!;
      if (av === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += av * w[p * n + j]!;
    }
  return out;
}

/** A reference over several named tensors, each with its own tolerance scale. */
class TensorRef implements Reference {
  private readonly tensors = new Map<string, { v: Float64Array; cols: number; rms: number }>();
  add(name: string, v: Float64Array, cols: number): void {
    let ss = 0;
    for (const x of v) ss += x * x;
    this.tensors.set(name, { v, cols, rms: Math.sqrt(ss / Math.max(1, v.length)) });
  }
  at(r: number, c: number, matrix?: string) {
    const t = this.tensors.get(matrix ?? '');
    if (!t) return undefined;
    const v = t.v[r * t.cols + c]!;
    return { v, tol: kRel * t.rms + kRel * Math.abs(v) + 1e-30 };
  }
}

export async function llmReference(c: Config, plan: Plan, inputs: Inputs): Promise<Reference> {
  const sh = shapeOf(c);
  const st = stepOf(c);
  const { hidden: H, heads: nh, kvHeads: nkv, headDim: hd, ffn: F, vocab: V } = sh;
  const rows = st.batch * st.queries;
  const kv = nkv * hd;
  const get = (name: string) => inputs.get(name, ...plan.matrices[name]!);
  const ref = new TensorRef();
  let x = Float64Array.from(await get('X0'));
  for (let l = 0; l < sh.layers; l++) {
    let xn = rmsnormRef(x, await get(`Wn1.${l}`), rows, H, kEps).v;
    const q = matmul(xn, await get(`Wq.${l}`), rows, nh * hd, H);
    const k = matmul(xn, await get(`Wk.${l}`), rows, kv, H);
    const v = matmul(xn, await get(`Wv.${l}`), rows, kv, H);
    // The cache: the tokens already there, then this step's keys and values at rows past …
    const K = Float64Array.from(await get(`K.${l}`));
    const Vc = Float64Array.from(await get(`V.${l}`));
    for (let b = 0; b < st.batch; b++)
      for (let t = 0; t < st.queries; t++) {
        K.set(k.subarray((b * st.queries + t) * kv, (b * st.queries + t + 1) * kv), (b * st.ctx + st.past + t) * kv);
        Vc.set(v.subarray((b * st.queries + t) * kv, (b * st.queries + t + 1) * kv), (b * st.ctx + st.past + t) * kv);
      }
    const at = new Float64Array(rows * nh * hd);
    const group = nh / nkv;
    for (let b = 0; b < st.batch; b++)
      for (let t = 0; t < st.queries; t++)
        for (let h = 0; h < nh; h++) {
          const row = (b * st.queries + t) * nh * hd + h * hd;
          const kvh = Math.floor(h / group) * hd;
          const n = st.past + t + 1;
          const s = new Float64Array(n);
          let max = -Infinity;
          for (let j = 0; j < n; j++) {
            let dot = 0;
            for (let d = 0; d < hd; d++) dot += q[row + d]! * K[(b * st.ctx + j) * kv + kvh + d]!;
            s[j] = dot / Math.sqrt(hd);
            max = Math.max(max, s[j]!);
          }
          let sum = 0;
          for (let j = 0; j < n; j++) sum += s[j] = Math.exp(s[j]! - max);
          for (let j = 0; j < n; j++) for (let d = 0; d < hd; d++) at[row + d]! += (s[j]! / sum) * Vc[(b * st.ctx + j) * kv + kvh + d]!;
        }
    const y1 = matmul(at, await get(`Wo.${l}`), rows, H, nh * hd);
    for (let i = 0; i < x.length; i++) x[i]! += y1[i]!;
    xn = rmsnormRef(x, await get(`Wn2.${l}`), rows, H, kEps).v;
    const g = matmul(xn, await get(`Wg.${l}`), rows, F, H);
    const u = matmul(xn, await get(`Wu.${l}`), rows, F, H);
    for (let i = 0; i < g.length; i++) g[i] = silu(g[i]!) * u[i]!;
    const y2 = matmul(g, await get(`Wd.${l}`), rows, H, F);
    x = Float64Array.from(x, (xi, i) => xi + y2[i]!);
    ref.add(`X${l + 1}`, x.slice(), H);
  }
  const last = new Float64Array(st.batch * H);
  for (let b = 0; b < st.batch; b++) last.set(x.subarray((b * st.queries + st.queries - 1) * H, (b * st.queries + st.queries) * H), b * H);
  const logits = matmul(rmsnormRef(last, await get('Wnf'), st.batch, H, kEps).v, await get('Wlm'), st.batch, V, H);
  ref.add('logits', logits, V);
  return ref;
}
