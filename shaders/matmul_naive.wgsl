// Matmul, naive: one invocation per output element, reading A and B straight from global memory.
// C[offC + i*N + j] (+)= sum_k A[offA + i*K + k] * B[offB + k*N + j], all row-major.

struct Params { m: u32, n: u32, k: u32, accumulate: u32, offA: u32, offB: u32, offC: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;
  let row = gid.y;
  if (row >= p.m || col >= p.n) { return; }
  var acc = 0.0;
  for (var kk = 0u; kk < p.k; kk++) {
    acc += a[p.offA + row * p.k + kk] * b[p.offB + kk * p.n + col];
  }
  let idx = p.offC + row * p.n + col;
  if (p.accumulate != 0u) { acc += c[idx]; }
  c[idx] = acc;
}
