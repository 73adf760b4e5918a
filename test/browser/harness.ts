// Kernel test harness (served by the dev server): runs one kernel on the page's own WebGPU device and compares it
// with a float64 CPU reference computed here, returning the counts a test asserts on.

import { acquireDevice, type AcquiredDevice } from '../../src/gpu/device.ts';
import { Kernels, canRun, kMatmulVariants, variantByKey } from '../../src/gpu/kernels.ts';
import { randomIntegers, randomMatrix } from '../../src/config/rng.ts';

let gpu: AcquiredDevice | null = null;
let kernels: Kernels | null = null;

const kSentinel = 0xbaadf00d;

async function init(): Promise<{ features: string[]; subgroups: boolean }> {
  gpu ??= await acquireDevice(navigator.gpu, false);
  kernels ??= new Kernels(gpu.device, gpu.caps.subgroups);
  return { features: gpu.caps.features, subgroups: gpu.caps.subgroups };
}

function storage(data: Float32Array<ArrayBuffer>): GPUBuffer {
  const d = gpu!.device;
  const b = d.createBuffer({
    size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  d.queue.writeBuffer(b, 0, data);
  return b;
}

async function read(b: GPUBuffer, count: number): Promise<Float32Array> {
  const d = gpu!.device;
  const st = d.createBuffer({ size: b.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = d.createCommandEncoder();
  enc.copyBufferToBuffer(b, 0, st, 0, b.size);
  d.queue.submit([enc.finish()]);
  await st.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(st.getMappedRange().slice(0, count * 4));
  st.destroy();
  return out;
}

async function runPass(encode: (pass: GPUComputePassEncoder) => Promise<void>): Promise<string | null> {
  const d = gpu!.device;
  d.pushErrorScope('validation');
  const enc = d.createCommandEncoder();
  const pass = enc.beginComputePass();
  await encode(pass);
  pass.end();
  d.queue.submit([enc.finish()]);
  const err = await d.popErrorScope();
  return err ? err.message : null;
}

export interface MatmulCase {
  key: string;
  m: number;
  n: number;
  k: number;
  accumulate?: boolean;
  /** Element offsets into A, B and C (0 by default). */
  off?: number;
}

/** Runs C (+)= A·B and counts elements outside K·u·Σ|a||b|; elements around C's block must keep the sentinel. */
async function matmul(c: MatmulCase): Promise<{
  ran: boolean;
  wrong: number;
  checked: number;
  maxErr: number;
  sentinelsTouched: number;
  error: string | null;
  first: string | null;
}> {
  await init();
  const v = variantByKey(c.key);
  if (!v) throw new Error(`no variant ${c.key}`);
  const off = c.off ?? 0;
  const args = { n: c.n, k: c.k, offA: off, offB: off, offC: off };
  if (!canRun(v, args, gpu!.caps.subgroups))
    return { ran: false, wrong: 0, checked: 0, maxErr: 0, sentinelsTouched: 0, error: null, first: null };
  const A = randomMatrix(off + c.m * c.k, 1);
  const B = randomMatrix(off + c.k * c.n, 2);
  const C0 = randomMatrix(off + c.m * c.n + 8, 3);
  const sentinel = new Float32Array(new Uint32Array([kSentinel]).buffer)[0]!;
  for (let i = 0; i < off; i++) C0[i] = sentinel;
  for (let i = off + c.m * c.n; i < C0.length; i++) C0[i] = sentinel;
  const [a, b, cc] = [storage(A), storage(B), storage(C0)];
  const error = await runPass((pass) =>
    kernels!.matmul(pass, v, { a, offA: off, b, offB: off, c: cc, offC: off, m: c.m, n: c.n, k: c.k, accumulate: c.accumulate === true }),
  );
  const got = await read(cc, C0.length);
  [a, b, cc].forEach((x) => x.destroy());
  let wrong = 0;
  let maxErr = 0;
  let first: string | null = null;
  const u = 2 ** -24;
  for (let i = 0; i < c.m; i++)
    for (let j = 0; j < c.n; j++) {
      let s = c.accumulate ? C0[off + i * c.n + j]! : 0;
      let abs = Math.abs(s);
      for (let p = 0; p < c.k; p++) {
        const x = A[off + i * c.k + p]! * B[off + p * c.n + j]!;
        s += x;
        abs += Math.abs(x);
      }
      const e = Math.abs(got[off + i * c.n + j]! - s);
      maxErr = Math.max(maxErr, e);
      if (!(e <= (c.k + 2) * u * abs + 1e-30)) {
        wrong++;
        first ??= `C[${i},${j}] = ${got[off + i * c.n + j]}, expected ${s}`;
      }
    }
  let sentinelsTouched = 0;
  for (let i = 0; i < C0.length; i++) if ((i < off || i >= off + c.m * c.n) && !Object.is(got[i], sentinel)) sentinelsTouched++;
  return { ran: true, wrong, checked: c.m * c.n, maxErr, sentinelsTouched, error, first };
}

/** dst += src on integer-valued data must be exact; GeLU within 1e-5 of the float64 tanh form; copy2d exact. */
async function elementwise(count: number): Promise<{ addWrong: number; geluMaxErr: number; copyWrong: number }> {
  await init();
  const k = kernels!;
  let addWrong = 0;
  // Offset 3 takes the scalar kernel; offset 4 the vec4 one where count is a multiple of 4.
  for (const off of [3, 4]) {
    const x = randomIntegers(count + off, 5, 1000);
    const y = randomIntegers(count + off, 6, 1000);
    const [bx, by] = [storage(x), storage(y)];
    await runPass((pass) => k.add(pass, by, off, bx, off, count));
    const sum = await read(by, count + off);
    for (let i = 0; i < count + off; i++) if (sum[i] !== (i < off ? y[i] : y[i]! + x[i]!)) addWrong++;
    [bx, by].forEach((b) => b.destroy());
  }
  const g = randomMatrix(count, 7, 6);
  const bg = storage(g);
  await runPass((pass) => k.gelu(pass, bg, 0, count));
  const gout = await read(bg, count);
  let geluMaxErr = 0;
  for (let i = 0; i < count; i++) {
    const v = g[i]!;
    const want = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
    geluMaxErr = Math.max(geluMaxErr, Math.abs(gout[i]! - want));
  }
  // copy2d: a 5×7 block from a 9-wide source at offset 10 into a 7-wide destination at offset 2.
  const src = randomMatrix(100, 8);
  const dst = new Float32Array(64);
  const [bs, bd] = [storage(src), storage(dst)];
  await runPass((pass) => k.copy2d(pass, bd, 2, 7, bs, 10, 9, 5, 7));
  const cout = await read(bd, 64);
  let copyWrong = 0;
  for (let r = 0; r < 5; r++) for (let c = 0; c < 7; c++) if (cout[2 + r * 7 + c] !== src[10 + r * 9 + c]) copyWrong++;
  if (cout[0] !== 0 || cout[1] !== 0 || cout[37] !== 0) copyWrong++;
  [bg, bs, bd].forEach((b) => b.destroy());
  return { addWrong, geluMaxErr, copyWrong };
}

const harness = { init, matmul, elementwise, variants: kMatmulVariants.map((v) => v.key) };
(globalThis as unknown as { harness: typeof harness }).harness = harness;
document.body.dataset.ready = '1';
