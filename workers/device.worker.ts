// The device worker: owns one GPUDevice and its buffers, runs program ops, moves bytes to peer workers, and times
// kernels. Exposed with comlink; only ArrayBuffers (and MessagePorts at set-up) cross threads.

import * as Comlink from 'comlink';
import { acquireDevice, type AcquiredDevice } from '../src/gpu/device.ts';
import { Kernels, canRun, kMatmulVariants, kNaiveKey, variantByKey, type MatmulVariant } from '../src/gpu/kernels.ts';
import { PassTimer, now } from '../src/gpu/timing.ts';
import { MessageEndpoint, SabEndpoint, type Endpoint } from '../src/engine/transport.ts';
import type { ExecEvent, ExecOp, InitOptions, KernelRow, LinkSetup, WorkerApi } from '../src/engine/exec.ts';
import type { MatmulOp } from '../src/engine/program.ts';
import { randomMatrix } from '../src/config/rng.ts';

const kStorage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

let gpu: AcquiredDevice | null = null;
let kernels: Kernels | null = null;
let timer: PassTimer | null = null;
let endpoint: Endpoint | null = null;
let options: InitOptions = { index: 0, timeoutMs: 120_000, ranking: [] };
let ranking: MatmulVariant[] = [...kMatmulVariants];
const buffers = new Map<string, GPUBuffer>();
/** Staging buffers for readback, pooled by size (bytes). */
const staging = new Map<number, GPUBuffer[]>();
let stagingBytes = 0;
const used = new Set<string>();
let fatal: string | null = null;

function device(): GPUDevice {
  if (fatal) throw new Error(fatal);
  if (!gpu) throw new Error('worker not initialized');
  return gpu.device;
}

function buffer(name: string): GPUBuffer {
  const b = buffers.get(name);
  if (!b) throw new Error(`no buffer named ${name}`);
  return b;
}

/** Rounds a byte size up to 16 so vec4 views of any buffer stay in bounds. */
const padded = (floats: number): number => Math.max(16, Math.ceil((floats * 4) / 16) * 16);

function pickVariant(op: MatmulOp): MatmulVariant {
  const v = ranking.find((x) => canRun(x, op, gpu!.caps.subgroups)) ?? variantByKey(kNaiveKey)!;
  used.add(v.key);
  return v;
}

/** Encodes one compute op into a pass. */
async function encodeCompute(pass: GPUComputePassEncoder, op: ExecOp): Promise<void> {
  const k = kernels!;
  switch (op.kind) {
    case 'matmul':
      return k.matmul(pass, pickVariant(op), {
        a: buffer(op.a),
        offA: op.offA,
        b: buffer(op.b),
        offB: op.offB,
        c: buffer(op.c),
        offC: op.offC,
        m: op.m,
        n: op.n,
        k: op.k,
        accumulate: op.accumulate,
      });
    case 'add':
      return k.add(pass, buffer(op.dst), op.offDst, buffer(op.src), op.offSrc, op.count);
    case 'gelu':
      return k.gelu(pass, buffer(op.buf), op.off, op.count);
    case 'copy':
      return k.copy2d(pass, buffer(op.dst), op.offDst, op.count, buffer(op.src), op.offSrc, op.count, 1, op.count);
    default:
      throw new Error(`${op.kind} is not a compute op`);
  }
}

async function submitAndWait(enc: GPUCommandEncoder): Promise<void> {
  const d = device();
  d.queue.submit([enc.finish()]);
  await Promise.race([d.queue.onSubmittedWorkDone(), gpu!.firstError.then((m) => Promise.reject(new Error(m)))]);
}

function takeStaging(bytes: number): GPUBuffer {
  const pool = staging.get(bytes);
  const hit = pool?.pop();
  if (hit) return hit;
  stagingBytes += bytes;
  return device().createBuffer({ label: 'staging', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
}

function giveStaging(b: GPUBuffer): void {
  const pool = staging.get(b.size) ?? [];
  pool.push(b);
  staging.set(b.size, pool);
}

/** Reads a region back to the CPU: copy to a staging buffer, map, copy out, unmap. */
async function readRegion(name: string, offset: number, count: number): Promise<ArrayBuffer> {
  const bytes = count * 4;
  const size = Math.max(4, Math.ceil(bytes / 4) * 4);
  const st = takeStaging(size);
  try {
    const enc = device().createCommandEncoder();
    enc.copyBufferToBuffer(buffer(name), offset * 4, st, 0, bytes);
    device().queue.submit([enc.finish()]);
    await st.mapAsync(GPUMapMode.READ, 0, size);
    const out = st.getMappedRange(0, size).slice(0, bytes);
    st.unmap();
    return out;
  } finally {
    giveStaging(st);
  }
}

/** Flips one element of every matmul output (test-only), so that verification has something to catch. */
async function corrupt(op: ExecOp): Promise<void> {
  if (op.kind !== 'matmul') return;
  device().queue.writeBuffer(buffer(op.c), op.offC * 4, new Float32Array([1e3]));
}

const api: WorkerApi = {
  async init(o) {
    options = o;
    gpu = await acquireDevice(self.navigator.gpu, true);
    gpu.firstError.then((m) => (fatal = m));
    kernels = new Kernels(gpu.device, gpu.caps.subgroups);
    timer = new PassTimer(gpu.device, gpu.caps.timestampQuery);
    const order = o.ranking.map(variantByKey).filter((v): v is MatmulVariant => Boolean(v));
    ranking = order.length ? [...order, ...kMatmulVariants.filter((v) => !order.includes(v))] : [...kMatmulVariants].reverse();
    return gpu.caps;
  },

  link(setup: LinkSetup) {
    endpoint?.close();
    if (setup.kind === 'message') endpoint = new MessageEndpoint(new Map(setup.ports), options.timeoutMs);
    else if (setup.kind === 'sab') endpoint = new SabEndpoint(options.index, setup.mailboxes, options.timeoutMs);
    else endpoint = null;
  },

  async alloc(sizes) {
    const d = device();
    d.pushErrorScope('out-of-memory');
    d.pushErrorScope('validation');
    for (const [name, floats] of Object.entries(sizes)) {
      buffers.get(name)?.destroy();
      buffers.set(name, d.createBuffer({ label: name, size: padded(floats), usage: kStorage }));
    }
    const validation = await d.popErrorScope();
    const oom = await d.popErrorScope();
    if (oom) throw new Error(`out of GPU memory allocating ${Object.keys(sizes).length} buffers: ${oom.message}`);
    if (validation) throw new Error(`buffer allocation failed: ${validation.message}`);
  },

  upload(name, offset, data) {
    device().queue.writeBuffer(buffer(name), offset * 4, data);
  },

  async download(name, offset, count) {
    const out = new Float32Array(await readRegion(name, offset, count));
    return Comlink.transfer(out, [out.buffer]);
  },

  async run(ops) {
    const events: ExecEvent[] = [];
    const sends: Promise<void>[] = [];
    for (const op of ops) {
      const start = now();
      if (op.kind === 'send') {
        if (!endpoint) throw new Error('no transport: link() was not called');
        const ep = endpoint;
        const data = readRegion(op.buf, op.off, op.count);
        // The readback is queued now, so later kernels cannot change what is sent; the rest runs in the background.
        sends.push(
          data.then(async (bytes) => {
            for (const to of op.to) await ep.send(to, op.tag, new Uint8Array(op.to.length > 1 ? bytes.slice(0) : bytes));
            events.push({ node: op.node, start, end: now() });
          }),
        );
        continue;
      }
      if (op.kind === 'recv') {
        if (!endpoint) throw new Error('no transport: link() was not called');
        const target = buffer(op.buf);
        const q = device().queue;
        await endpoint.recv(op.from, op.tag, op.count * 4, (byteOffset, bytes) =>
          q.writeBuffer(target, op.off * 4 + byteOffset, bytes as Uint8Array<ArrayBuffer>),
        );
        await Promise.race([q.onSubmittedWorkDone(), gpu!.firstError.then((m) => Promise.reject(new Error(m)))]);
        events.push({ node: op.node, start, end: now() });
        continue;
      }
      const enc = device().createCommandEncoder();
      if (op.kind === 'fabric') {
        for (const d of op.dsts) enc.copyBufferToBuffer(buffer(op.src), op.off * 4, buffer(d.buf), d.off * 4, op.count * 4);
      } else {
        const pass = enc.beginComputePass();
        await encodeCompute(pass, op);
        pass.end();
      }
      await submitAndWait(enc);
      if (options.corrupt) await corrupt(op);
      events.push({ node: op.node, start, end: now() });
    }
    await Promise.all(sends);
    return events;
  },

  async calibrate(ops, samples) {
    const out: number[][] = [];
    for (const op of ops) {
      const row: number[] = [];
      for (let s = 0; s < samples; s++) {
        if (op.kind === 'fabric') {
          const t0 = now();
          const enc = device().createCommandEncoder();
          for (const d of op.dsts) enc.copyBufferToBuffer(buffer(op.src), op.off * 4, buffer(d.buf), d.off * 4, op.count * 4);
          await submitAndWait(enc);
          row.push(now() - t0);
        } else {
          row.push((await timer!.timeAdaptive((pass) => encodeCompute(pass, op))).ms);
        }
      }
      out.push(row);
    }
    return out;
  },

  async kernels(m, n, k, warmup, samples) {
    const d = device();
    const a = d.createBuffer({ size: padded(m * k), usage: kStorage });
    const b = d.createBuffer({ size: padded(k * n), usage: kStorage });
    const c = d.createBuffer({ size: padded(m * n), usage: kStorage });
    d.queue.writeBuffer(a, 0, randomMatrix(m * k, 11));
    d.queue.writeBuffer(b, 0, randomMatrix(k * n, 12));
    const rows: KernelRow[] = [];
    try {
      for (const v of kMatmulVariants) {
        const x = { a, offA: 0, b, offB: 0, c, offC: 0, m, n, k, accumulate: false };
        if (!canRun(v, x, gpu!.caps.subgroups)) continue;
        await kernels!.matmulPipeline(v);
        const encode = (pass: GPUComputePassEncoder) => kernels!.matmul(pass, v, x);
        for (let i = 0; i < warmup; i++) await timer!.time(encode, 1);
        const gf: number[] = [];
        let source = 'wall';
        for (let i = 0; i < samples; i++) {
          const r = await timer!.timeAdaptive(encode, 2, 64);
          gf.push((2 * m * n * k) / (r.ms * 1e6));
          source = r.source;
        }
        rows.push({ key: v.key, family: v.family, m, n, k, samples: gf, source });
      }
    } finally {
      a.destroy();
      b.destroy();
      c.destroy();
    }
    return rows;
  },

  usedKernels() {
    const out = [...used];
    used.clear();
    return out;
  },

  ledger() {
    let bytes = stagingBytes;
    for (const b of buffers.values()) bytes += b.size;
    return { buffers: buffers.size + [...staging.values()].reduce((s, l) => s + l.length, 0), bytes };
  },

  freeAll() {
    for (const b of buffers.values()) b.destroy();
    buffers.clear();
    for (const pool of staging.values()) for (const b of pool) b.destroy();
    staging.clear();
    stagingBytes = 0;
    kernels?.dispose();
  },

  loseDevice() {
    gpu?.device.destroy();
  },

  dispose() {
    api.freeAll();
    timer?.dispose();
    endpoint?.close();
    gpu?.device.destroy();
    gpu = null;
  },
};

Comlink.expose(api);
