// Element-wise kernels on f32 ranges: accumulate (dst += src, the reduction step of every collective), a strided 2D
// block copy (tile-to-tile and shard layout moves), and GeLU (tanh form) in place. Grid-stride loops cover any count.

struct Params { count: u32, offDst: u32, offSrc: u32, rows: u32, cols: u32, ldDst: u32, ldSrc: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

override WG: u32 = 256u;

fn strideOf(nwg: vec3u) -> u32 { return nwg.x * WG; }

@compute @workgroup_size(WG)
fn accumulate(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  for (var i = gid.x; i < p.count; i += strideOf(nwg)) {
    dst[p.offDst + i] += src[p.offSrc + i];
  }
}

// The same reduction four lanes at a time, where count and offsets are multiples of 4 (the wrapper checks; the
// params are then in vec4 units). A module may bind one slot with two types in entry points that do not share it.
@group(0) @binding(0) var<storage, read> src4: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dst4: array<vec4f>;

@compute @workgroup_size(WG)
fn accumulate4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  for (var i = gid.x; i < p.count; i += strideOf(nwg)) {
    dst4[p.offDst + i] += src4[p.offSrc + i];
  }
}

@compute @workgroup_size(WG)
fn copy2d(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let total = p.rows * p.cols;
  for (var i = gid.x; i < total; i += strideOf(nwg)) {
    let r = i / p.cols;
    let q = i % p.cols;
    dst[p.offDst + r * p.ldDst + q] = src[p.offSrc + r * p.ldSrc + q];
  }
}

const kSqrt2OverPi = 0.7978845608028654;

@compute @workgroup_size(WG)
fn gelu(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  for (var i = gid.x; i < p.count; i += strideOf(nwg)) {
    let x = dst[p.offDst + i];
    // Clamped: tanh saturates long before ±15, and some implementations overflow on larger arguments.
    let t = tanh(clamp(kSqrt2OverPi * (x + 0.044715 * x * x * x), -15.0, 15.0));
    dst[p.offDst + i] = 0.5 * x * (1.0 + t);
  }
}
