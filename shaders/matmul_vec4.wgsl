// Matmul, 2D register-blocked with vec4 loads and no workgroup memory: each invocation computes a 4×4 block of C,
// reading 4 rows of A and 4 rows of B as vec4 per step of 4 along K. Needs N % 4 == 0, K % 4 == 0 and offsets that
// are multiples of 4 (the wrapper checks); M is free (edge rows are masked). Avoids barriers, which are costly on
// CPU adapters; GPUs with fast shared memory usually prefer the tiled variant, and the autotune decides.

struct Params { m: u32, n: u32, k: u32, accumulate: u32, offA: u32, offB: u32, offC: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> a: array<vec4f>;
@group(0) @binding(1) var<storage, read> b: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> c: array<vec4f>;
@group(0) @binding(3) var<uniform> p: Params;

override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n4 = p.n / 4u;
  let k4 = p.k / 4u;
  let col4 = gid.x;
  let row0 = gid.y * 4u;
  if (col4 >= n4 || row0 >= p.m) { return; }
  let oa = p.offA / 4u;
  let ob = p.offB / 4u;
  let oc = p.offC / 4u;
  // Rows past M re-read the last valid row (always in bounds) and are not stored.
  let r1 = min(row0 + 1u, p.m - 1u);
  let r2 = min(row0 + 2u, p.m - 1u);
  let r3 = min(row0 + 3u, p.m - 1u);
  var c0 = vec4f(0.0);
  var c1 = vec4f(0.0);
  var c2 = vec4f(0.0);
  var c3 = vec4f(0.0);
  for (var kk = 0u; kk < k4; kk++) {
    let a0 = a[oa + row0 * k4 + kk];
    let a1 = a[oa + r1 * k4 + kk];
    let a2 = a[oa + r2 * k4 + kk];
    let a3 = a[oa + r3 * k4 + kk];
    let bk = ob + kk * 4u * n4 + col4;
    let b0 = b[bk];
    let b1 = b[bk + n4];
    let b2 = b[bk + 2u * n4];
    let b3 = b[bk + 3u * n4];
    c0 += a0.x * b0 + a0.y * b1 + a0.z * b2 + a0.w * b3;
    c1 += a1.x * b0 + a1.y * b1 + a1.z * b2 + a1.w * b3;
    c2 += a2.x * b0 + a2.y * b1 + a2.z * b2 + a2.w * b3;
    c3 += a3.x * b0 + a3.y * b1 + a3.z * b2 + a3.w * b3;
  }
  let acc = p.accumulate != 0u;
  var i = oc + row0 * n4 + col4;
  if (acc) { c0 += c[i]; }
  c[i] = c0;
  if (row0 + 1u < p.m) { i += n4; if (acc) { c1 += c[i]; } c[i] = c1; }
  if (row0 + 2u < p.m) { i += n4; if (acc) { c2 += c[i]; } c[i] = c2; }
  if (row0 + 3u < p.m) { i += n4; if (acc) { c3 += c[i]; } c[i] = c3; }
}
