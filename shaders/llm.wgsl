// The non-GEMM kernels of a decoder-only transformer layer (Llama 3 style), on f32: RMSNorm, the SwiGLU gate and
// causal grouped-query attention over a KV cache with an online (streaming) softmax.
//
// Each op writes one read_write binding; its inputs have read-only bindings of their own. WebGPU forbids binding one
// buffer both read-only and writable in a dispatch, so an input that lives in the output's buffer (an in-place op,
// or operands packed into one buffer) is read through the output's binding instead: the *_IN_* override constants
// say which, and the wrapper binds a small placeholder to the input's own slot. The constants fold at pipeline
// creation, so the loads stay branch-free.

// ---- RMSNorm: y[r, :] = x[r, :] / sqrt(mean(x[r, :]²) + eps) ∘ w -------------------------------------------------

struct NormParams { rows: u32, dim: u32, offX: u32, offW: u32, offY: u32, eps: f32, pad0: u32, pad1: u32 }

@group(0) @binding(0) var<storage, read> normX: array<f32>;
@group(0) @binding(1) var<storage, read> normW: array<f32>;
@group(0) @binding(2) var<storage, read_write> normY: array<f32>;
@group(0) @binding(3) var<uniform> np: NormParams;

/** Invocations per workgroup of every entry point; a power of two for RMSNorm (its reduction tree halves it). */
override WG: u32 = 64u;
override X_IN_Y: bool = false;
override W_IN_Y: bool = false;

var<workgroup> normPartial: array<f32, WG>;

fn normLoadX(i: u32) -> f32 {
  if (X_IN_Y) { return normY[i]; }
  return normX[i];
}
fn normLoadW(i: u32) -> f32 {
  if (W_IN_Y) { return normY[i]; }
  return normW[i];
}

// One workgroup per row (grid-stride over rows): each invocation sums the squares of every WG-th element, a tree
// reduction in workgroup memory gives the row's sum, then each invocation scales the elements it summed. An
// invocation writes only elements it has read, after the barrier, so y may be x.
@compute @workgroup_size(WG)
fn rmsnorm(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let tid = lid.x;
  for (var row = wid.x; row < np.rows; row += nwg.x) {
    let xRow = np.offX + row * np.dim;
    let yRow = np.offY + row * np.dim;
    var ss = 0.0;
    for (var i = tid; i < np.dim; i += WG) {
      let v = normLoadX(xRow + i);
      ss += v * v;
    }
    normPartial[tid] = ss;
    workgroupBarrier();
    for (var half = WG / 2u; half > 0u; half >>= 1u) {
      if (tid < half) { normPartial[tid] += normPartial[tid + half]; }
      workgroupBarrier();
    }
    let inv = inverseSqrt(normPartial[0] / f32(np.dim) + np.eps);
    for (var i = tid; i < np.dim; i += WG) {
      normY[yRow + i] = normLoadX(xRow + i) * inv * normLoadW(np.offW + i);
    }
    // normPartial[0] has been read by all before the next row's partial sums overwrite it.
    workgroupBarrier();
  }
}

// ---- SwiGLU: out[i] = silu(gate[i])·up[i] ------------------------------------------------------------------------

struct GluParams { count: u32, offGate: u32, offUp: u32, offOut: u32 }

@group(0) @binding(0) var<storage, read> gluGate: array<f32>;
@group(0) @binding(1) var<storage, read> gluUp: array<f32>;
@group(0) @binding(2) var<storage, read_write> gluOut: array<f32>;
@group(0) @binding(3) var<uniform> gp: GluParams;

override GATE_IN_OUT: bool = false;
override UP_IN_OUT: bool = false;

fn gluLoadGate(i: u32) -> f32 {
  if (GATE_IN_OUT) { return gluOut[i]; }
  return gluGate[i];
}
fn gluLoadUp(i: u32) -> f32 {
  if (UP_IN_OUT) { return gluOut[i]; }
  return gluUp[i];
}

// Element-wise, one element per invocation per step of a grid-stride loop. For gate ≪ 0, e^−gate overflows to +inf
// and the quotient is −0, the limit; for gate ≫ 0, e^−gate underflows to 0 and silu is gate.
@compute @workgroup_size(WG)
fn swiglu(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  for (var i = gid.x; i < gp.count; i += nwg.x * WG) {
    let g = gluLoadGate(gp.offGate + i);
    gluOut[gp.offOut + i] = g / (1.0 + exp(-g)) * gluLoadUp(gp.offUp + i);
  }
}

// ---- Attention: causal grouped-query attention over a KV cache ---------------------------------------------------

struct AttnParams {
  batch: u32, queries: u32, heads: u32, kvHeads: u32,
  past: u32, ctx: u32, offQ: u32, offK: u32,
  offV: u32, offOut: u32, scale: f32, pad: u32,
}

@group(0) @binding(0) var<storage, read> attnQ: array<f32>;
@group(0) @binding(1) var<storage, read> attnK: array<f32>;
@group(0) @binding(2) var<storage, read> attnV: array<f32>;
@group(0) @binding(3) var<storage, read_write> attnOut: array<f32>;
@group(0) @binding(4) var<uniform> ap: AttnParams;

/** Elements per head; at most MAX_DPT·WG. */
override HEAD_DIM: u32 = 128u;
override Q_IN_OUT: bool = false;
override K_IN_OUT: bool = false;
override V_IN_OUT: bool = false;

/** Output dimensions per invocation, at most (registers: HEAD_DIM ≤ 256 with WG = 64). */
const MAX_DPT: u32 = 4u;
/** The lowest finite f32, below every score: the value of a masked key in the max reduction. */
const kLowest: f32 = -0x1.fffffep+127f;

var<workgroup> attnQRow: array<f32, HEAD_DIM>; // this row's query
var<workgroup> attnS: array<f32, WG>; // this block's scores
var<workgroup> attnP: array<f32, WG>; // this block's weights exp(s − running max)

fn attnLoadQ(i: u32) -> f32 {
  if (Q_IN_OUT) { return attnOut[i]; }
  return attnQ[i];
}
fn attnLoadK(i: u32) -> f32 {
  if (K_IN_OUT) { return attnOut[i]; }
  return attnK[i];
}
fn attnLoadV(i: u32) -> f32 {
  if (V_IN_OUT) { return attnOut[i]; }
  return attnV[i];
}

// One workgroup per (sequence, query, head) row, grid-stride over rows. The query goes to workgroup memory; the keys
// 0 … past+t stream through in blocks of WG: invocation j scores key j0+j (a HEAD_DIM-long dot product), every
// invocation scans the block's scores for the new running max (broadcast reads, no reduction tree: two barriers per
// block), and the running sum and outputs rescale by exp(old max − new max) — the online softmax, so the context is
// bounded by neither workgroup memory nor registers. Invocation i owns output dimensions i, i+WG, … and accumulates
// weight·value over the block (value rows are read coalesced across invocations).
// Every invocation reads its whole query row before any output is written, and rows are disjoint, so out may be q.
@compute @workgroup_size(WG)
fn attention(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let tid = lid.x;
  let rows = ap.batch * ap.queries * ap.heads;
  let group = ap.heads / ap.kvHeads;
  let kvStride = ap.kvHeads * HEAD_DIM; // elements between consecutive cache rows
  for (var row = wid.x; row < rows; row += nwg.x) {
    let h = row % ap.heads;
    let t = (row / ap.heads) % ap.queries;
    let b = row / (ap.heads * ap.queries);
    let kvBase = b * ap.ctx * kvStride + (h / group) * HEAD_DIM;
    let keys = ap.past + t + 1u;
    for (var d = tid; d < HEAD_DIM; d += WG) { attnQRow[d] = attnLoadQ(ap.offQ + row * HEAD_DIM + d); }
    workgroupBarrier();

    var m = kLowest; // running max of the scores seen (the same in every invocation)
    var l = 0.0; // running Σ exp(s − m)
    var acc: array<f32, MAX_DPT>; // running Σ exp(s − m)·v for dimensions tid + e·WG
    for (var j0 = 0u; j0 < keys; j0 += WG) {
      let n = min(WG, keys - j0);
      let j = j0 + tid;
      var s = kLowest;
      if (j < keys) {
        let kRow = ap.offK + kvBase + j * kvStride;
        var dot = 0.0;
        for (var d = 0u; d < HEAD_DIM; d++) { dot += attnQRow[d] * attnLoadK(kRow + d); }
        s = dot * ap.scale;
      }
      attnS[tid] = s;
      workgroupBarrier();
      var mNew = m;
      for (var i = 0u; i < n; i++) { mNew = max(mNew, attnS[i]); }
      attnP[tid] = select(0.0, exp(s - mNew), j < keys);
      // The first block rescales nothing: exp(kLowest − mNew) is 0, and so are l and acc.
      let c = exp(m - mNew);
      m = mNew;
      // After this barrier nobody reads attnS again in this block, so the next block may rewrite it; attnP is
      // rewritten only after the next block's first barrier, which every invocation reaches after its sums below.
      workgroupBarrier();

      var blockSum = 0.0;
      for (var i = 0u; i < n; i++) { blockSum += attnP[i]; }
      l = l * c + blockSum;
      for (var e = 0u; e < MAX_DPT; e++) {
        let d = tid + e * WG;
        if (d < HEAD_DIM) {
          var sum = 0.0;
          let vCol = ap.offV + kvBase + j0 * kvStride + d;
          for (var i = 0u; i < n; i++) { sum += attnP[i] * attnLoadV(vCol + i * kvStride); }
          acc[e] = acc[e] * c + sum;
        }
      }
    }
    for (var e = 0u; e < MAX_DPT; e++) {
      let d = tid + e * WG;
      if (d < HEAD_DIM) { attnOut[ap.offOut + row * HEAD_DIM + d] = acc[e] / l; }
    }
    // attnQRow, attnS and attnP are rewritten by the next row.
    workgroupBarrier();
  }
}
