// Matmul, subgroup-shared A: each invocation computes 4 rows × 4 columns of C. Lanes load one A element per row for
// a chunk of K as wide as the subgroup, then share them with subgroupShuffle, so A is read once per subgroup rather
// than once per lane. Any M, N, K (loads and stores are masked). Requires the `subgroups` feature.
enable subgroups;

struct Params { m: u32, n: u32, k: u32, accumulate: u32, offA: u32, offB: u32, offC: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

override WG_X: u32 = 64u;

fn loadB(kk: u32, col: u32) -> f32 {
  if (kk < p.k && col < p.n) { return b[p.offB + kk * p.n + col]; }
  return 0.0;
}

fn loadA(row: u32, kk: u32) -> f32 {
  if (row < p.m && kk < p.k) { return a[p.offA + row * p.k + kk]; }
  return 0.0;
}

@compute @workgroup_size(WG_X, 1)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(subgroup_invocation_id) lane: u32,
        @builtin(subgroup_size) sg: u32) {
  // All invocations stay in the loop (no early return) so the shuffles run in uniform control flow.
  let col0 = gid.x * 4u;
  let row0 = gid.y * 4u;
  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < p.k; k0 += sg) {
    let av = vec4f(loadA(row0, k0 + lane), loadA(row0 + 1u, k0 + lane), loadA(row0 + 2u, k0 + lane), loadA(row0 + 3u, k0 + lane));
    for (var j = 0u; j < sg; j++) {
      let kk = k0 + j;
      let s = subgroupShuffle(av, j);
      let bv = vec4f(loadB(kk, col0), loadB(kk, col0 + 1u), loadB(kk, col0 + 2u), loadB(kk, col0 + 3u));
      acc[0] += s.x * bv;
      acc[1] += s.y * bv;
      acc[2] += s.z * bv;
      acc[3] += s.w * bv;
    }
  }
  for (var r = 0u; r < 4u; r++) {
    let row = row0 + r;
    if (row < p.m) {
      for (var q = 0u; q < 4u; q++) {
        let col = col0 + q;
        if (col < p.n) {
          let idx = p.offC + row * p.n + col;
          var v = acc[r][q];
          if (p.accumulate != 0u) { v += c[idx]; }
          c[idx] = v;
        }
      }
    }
  }
}
