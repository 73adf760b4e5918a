// Matmul, workgroup-tiled: a (TILE*TM)×(TILE*TN) block of C per workgroup of TILE×TILE invocations; panels of A and
// B of depth TILE are staged in workgroup memory, and each invocation accumulates TM×TN outputs in registers.
// TM = TN = 1 is the classic shared-memory tile; larger values add register blocking. Edge tiles are zero-padded.

struct Params { m: u32, n: u32, k: u32, accumulate: u32, offA: u32, offB: u32, offC: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

override TILE: u32 = 16u;
override TM: u32 = 1u;
override TN: u32 = 1u;

const MAX_T: u32 = 4u;

var<workgroup> tileA: array<f32, TILE * TM * TILE>; // (TILE*TM) rows × TILE depth
var<workgroup> tileB: array<f32, TILE * TILE * TN>; // TILE depth × (TILE*TN) cols

@compute @workgroup_size(TILE, TILE)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let rowBase = wid.y * TILE * TM;
  let colBase = wid.x * TILE * TN;
  var acc: array<array<f32, MAX_T>, MAX_T>;
  let steps = (p.k + TILE - 1u) / TILE;
  for (var s = 0u; s < steps; s++) {
    let k0 = s * TILE;
    // Stage A: rows rowBase..+TILE*TM, depth k0..+TILE.
    for (var r = 0u; r < TM; r++) {
      let lr = lid.y + r * TILE;
      let gr = rowBase + lr;
      let gk = k0 + lid.x;
      var v = 0.0;
      if (gr < p.m && gk < p.k) { v = a[p.offA + gr * p.k + gk]; }
      tileA[lr * TILE + lid.x] = v;
    }
    // Stage B: depth k0..+TILE, cols colBase..+TILE*TN.
    for (var q = 0u; q < TN; q++) {
      let lc = lid.x + q * TILE;
      let gc = colBase + lc;
      let gk = k0 + lid.y;
      var v = 0.0;
      if (gk < p.k && gc < p.n) { v = b[p.offB + gk * p.n + gc]; }
      tileB[lid.y * TILE * TN + lc] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE; kk++) {
      for (var r = 0u; r < TM; r++) {
        let av = tileA[(lid.y + r * TILE) * TILE + kk];
        for (var q = 0u; q < TN; q++) {
          acc[r][q] += av * tileB[kk * TILE * TN + lid.x + q * TILE];
        }
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < TM; r++) {
    let gr = rowBase + lid.y + r * TILE;
    for (var q = 0u; q < TN; q++) {
      let gc = colBase + lid.x + q * TILE;
      if (gr < p.m && gc < p.n) {
        let idx = p.offC + gr * p.n + gc;
        var v = acc[r][q];
        if (p.accumulate != 0u) { v += c[idx]; }
        c[idx] = v;
      }
    }
  }
}
