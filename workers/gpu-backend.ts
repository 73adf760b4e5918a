// The WebGPU backend: storage buffers, the kernel wrappers, pooled staging buffers for readback, and the pass timer.

import { acquireDevice, type AcquiredDevice } from '../src/gpu/device.ts';
import { Kernels, canRun, kMatmulVariants, kNaiveKey, variantByKey, type MatmulVariant } from '../src/gpu/kernels.ts';
import { LlmKernels } from '../src/gpu/llm-kernels.ts';
import { PassTimer, now } from '../src/gpu/timing.ts';
import type { BytesPath, ExecOp, KernelRow } from '../src/engine/exec.ts';
import type { MatmulOp } from '../src/engine/program.ts';
import { copyBlocks } from '../src/ops/index.ts';
import { randomMatrix } from '../src/config/rng.ts';
import type { Backend, TimedOp } from './backend.ts';

const kStorage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Rounds a byte size up to 16 so vec4 views of any buffer stay in bounds. */
const padded = (floats: number): number => Math.max(16, Math.ceil((floats * 4) / 16) * 16);

export class GpuBackend implements Backend {
  private readonly buffers = new Map<string, GPUBuffer>();
  /** Readback staging buffers, pooled by size in bytes. */
  private readonly staging = new Map<number, GPUBuffer[]>();
  private stagingBytes = 0;
  private readonly used = new Set<string>();
  private readonly kernelsOf: Kernels;
  private readonly llm: LlmKernels;
  private readonly timer: PassTimer;
  private readonly ranking: MatmulVariant[];
  private fatal: string | null = null;

  private constructor(
    private readonly gpu: AcquiredDevice,
    ranking: string[],
  ) {
    gpu.firstError.then((m) => (this.fatal = m));
    this.kernelsOf = new Kernels(gpu.device, gpu.caps.subgroups);
    this.llm = new LlmKernels(gpu.device);
    this.timer = new PassTimer(gpu.device, gpu.caps.timestampQuery);
    const order = ranking.map(variantByKey).filter((v): v is MatmulVariant => Boolean(v));
    this.ranking = order.length ? [...order, ...kMatmulVariants.filter((v) => !order.includes(v))] : [...kMatmulVariants].reverse();
  }

  static async create(ranking: string[]): Promise<GpuBackend> {
    return new GpuBackend(await acquireDevice(self.navigator.gpu, true), ranking);
  }

  get caps() {
    return this.gpu.caps;
  }

  get firstError() {
    return this.gpu.firstError;
  }

  private get device(): GPUDevice {
    if (this.fatal) throw new Error(this.fatal);
    return this.gpu.device;
  }

  private buffer(name: string): GPUBuffer {
    const b = this.buffers.get(name);
    if (!b) throw new Error(`no buffer named ${name}`);
    return b;
  }

  async alloc(sizes: Record<string, number>): Promise<void> {
    const d = this.device;
    d.pushErrorScope('out-of-memory');
    d.pushErrorScope('validation');
    for (const [name, floats] of Object.entries(sizes)) {
      this.buffers.get(name)?.destroy();
      this.buffers.set(name, d.createBuffer({ label: name, size: padded(floats), usage: kStorage }));
    }
    const validation = await d.popErrorScope();
    const oom = await d.popErrorScope();
    if (oom) throw new Error(`out of GPU memory allocating ${Object.keys(sizes).length} buffers: ${oom.message}`);
    if (validation) throw new Error(`buffer allocation failed: ${validation.message}`);
  }

  upload(name: string, offset: number, data: Float32Array<ArrayBuffer>): void {
    this.device.queue.writeBuffer(this.buffer(name), offset * 4, data);
  }

  private takeStaging(bytes: number): GPUBuffer {
    const hit = this.staging.get(bytes)?.pop();
    if (hit) return hit;
    this.stagingBytes += bytes;
    return this.device.createBuffer({ label: 'staging', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  private giveStaging(b: GPUBuffer): void {
    const pool = this.staging.get(b.size) ?? [];
    pool.push(b);
    this.staging.set(b.size, pool);
  }

  async read(name: string, offset: number, count: number): Promise<ArrayBuffer> {
    const bytes = count * 4;
    const size = Math.max(4, bytes);
    const st = this.takeStaging(size);
    try {
      const enc = this.device.createCommandEncoder();
      enc.copyBufferToBuffer(this.buffer(name), offset * 4, st, 0, bytes);
      this.device.queue.submit([enc.finish()]);
      await Promise.race([st.mapAsync(GPUMapMode.READ, 0, size), this.failure()]);
      const out = st.getMappedRange(0, size).slice(0, bytes);
      st.unmap();
      return out;
    } finally {
      this.giveStaging(st);
    }
  }

  write(name: string, byteOffset: number, bytes: Uint8Array): void {
    this.device.queue.writeBuffer(this.buffer(name), byteOffset, bytes as Uint8Array<ArrayBuffer>);
  }

  private failure(): Promise<never> {
    return this.gpu.firstError.then((m) => Promise.reject(new Error(m)));
  }

  async settle(): Promise<void> {
    await Promise.race([this.device.queue.onSubmittedWorkDone(), this.failure()]);
  }

  private pick(op: MatmulOp): MatmulVariant {
    const v = this.ranking.find((x) => canRun(x, op, this.gpu.caps.subgroups)) ?? variantByKey(kNaiveKey)!;
    this.used.add(v.key);
    return v;
  }

  private encode(pass: GPUComputePassEncoder, op: TimedOp): Promise<void> {
    const k = this.kernelsOf;
    const b = (n: string) => this.buffer(n);
    switch (op.kind) {
      case 'matmul':
        return k.matmul(pass, this.pick(op), {
          a: b(op.a),
          offA: op.offA,
          b: b(op.b),
          offB: op.offB,
          c: b(op.c),
          offC: op.offC,
          m: op.m,
          n: op.n,
          k: op.k,
          accumulate: op.accumulate,
        });
      case 'add':
        return k.add(pass, b(op.dst), op.offDst, b(op.src), op.offSrc, op.count);
      case 'gelu':
        return k.gelu(pass, b(op.buf), op.off, op.count);
      case 'rmsnorm':
        return this.llm.rmsnorm(pass, { ...op, x: b(op.x), w: b(op.w), y: b(op.y) }).then((key) => void this.used.add(key));
      case 'swiglu':
        return this.llm.swiglu(pass, { ...op, gate: b(op.gate), up: b(op.up), out: b(op.out) }).then((key) => void this.used.add(key));
      case 'attention':
        return this.llm
          .attention(pass, { ...op, q: b(op.q), k: b(op.k), v: b(op.v), out: b(op.out) })
          .then((key) => void this.used.add(key));
      case 'copy':
      case 'fabric':
        throw new Error('copies are encoded as buffer copies, not compute passes');
    }
  }

  async run(op: TimedOp): Promise<void> {
    const enc = this.device.createCommandEncoder();
    // Whole-range moves use the copy engine: fabric transfers between tiles, and local copies.
    if (op.kind === 'fabric') {
      for (const d of op.dsts) enc.copyBufferToBuffer(this.buffer(op.src), op.off * 4, this.buffer(d.buf), d.off * 4, op.count * 4);
    } else if (op.kind === 'copy') {
      const { n, srcStride, dstStride } = copyBlocks(op);
      for (let i = 0; i < n; i++)
        enc.copyBufferToBuffer(
          this.buffer(op.src),
          (op.offSrc + i * srcStride) * 4,
          this.buffer(op.dst),
          (op.offDst + i * dstStride) * 4,
          op.count * 4,
        );
    } else {
      const pass = enc.beginComputePass();
      await this.encode(pass, op);
      pass.end();
    }
    this.device.queue.submit([enc.finish()]);
    await this.settle();
  }

  async time(op: TimedOp): Promise<number> {
    if (op.kind === 'fabric' || op.kind === 'copy') {
      const t0 = now();
      await this.run(op);
      return now() - t0;
    }
    return (await this.timer.timeAdaptive((pass) => this.encode(pass, op))).ms;
  }

  variants(n: number, k: number): string[] {
    return kMatmulVariants.filter((v) => canRun(v, { n, k, offA: 0, offB: 0, offC: 0 }, this.gpu.caps.subgroups)).map((v) => v.key);
  }

  async kernels(m: number, n: number, k: number, warmup: number, samples: number, only?: string): Promise<KernelRow[]> {
    const d = this.device;
    const a = d.createBuffer({ size: padded(m * k), usage: kStorage });
    const b = d.createBuffer({ size: padded(k * n), usage: kStorage });
    const c = d.createBuffer({ size: padded(m * n), usage: kStorage });
    d.queue.writeBuffer(a, 0, randomMatrix(m * k, 11));
    d.queue.writeBuffer(b, 0, randomMatrix(k * n, 12));
    const rows: KernelRow[] = [];
    try {
      for (const v of kMatmulVariants) {
        const x = { a, offA: 0, b, offB: 0, c, offC: 0, m, n, k, accumulate: false };
        if (!canRun(v, x, this.gpu.caps.subgroups) || (only && v.key !== only)) continue;
        await this.kernelsOf.matmulPipeline(v);
        const encode = (pass: GPUComputePassEncoder) => this.kernelsOf.matmul(pass, v, x);
        for (let i = 0; i < warmup; i++) await this.timer.time(encode, 1);
        const gf: number[] = [];
        let source = 'wall';
        for (let i = 0; i < samples; i++) {
          const r = await this.timer.timeAdaptive(encode, 2, 64);
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
  }

  async bytesPath(bytes: number): Promise<BytesPath> {
    const d = this.device;
    const count = Math.max(4, Math.floor(bytes / 16) * 4);
    const size = count * 4;
    const data = randomMatrix(count, 13);
    const a = d.createBuffer({ size, usage: kStorage });
    const b = d.createBuffer({ size, usage: kStorage });
    const st = d.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const med = (xs: number[]) => xs.sort((x, y) => x - y)[xs.length >> 1]!;
    const down: number[] = [];
    const up: number[] = [];
    const add: number[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        let t0 = now();
        d.queue.writeBuffer(a, 0, data);
        await this.settle();
        up.push(size / ((now() - t0) * 1e6));
        t0 = now();
        const enc = d.createCommandEncoder();
        enc.copyBufferToBuffer(a, 0, st, 0, size);
        d.queue.submit([enc.finish()]);
        await st.mapAsync(GPUMapMode.READ);
        st.getMappedRange().slice(0);
        st.unmap();
        down.push(size / ((now() - t0) * 1e6));
        const ms = (await this.timer.timeAdaptive((pass) => this.kernelsOf.add(pass, b, 0, a, 0, count), 2, 16)).ms;
        add.push(size / (ms * 1e6));
      }
      // The first round warms caches and pipelines; the median of the rest is reported.
      return { bytes: size, downGBs: med(down.slice(1)), upGBs: med(up.slice(1)), addGBs: med(add.slice(1)) };
    } finally {
      [a, b, st].forEach((x) => x.destroy());
    }
  }

  usedKernels(): string[] {
    const out = [...this.used];
    this.used.clear();
    return out;
  }

  ledger(): { buffers: number; bytes: number } {
    let bytes = this.stagingBytes;
    for (const b of this.buffers.values()) bytes += b.size;
    return { buffers: this.buffers.size + [...this.staging.values()].reduce((s, l) => s + l.length, 0), bytes };
  }

  freeAll(): void {
    for (const b of this.buffers.values()) b.destroy();
    this.buffers.clear();
    for (const pool of this.staging.values()) for (const b of pool) b.destroy();
    this.staging.clear();
    this.stagingBytes = 0;
    this.kernelsOf.dispose();
    this.llm.dispose();
  }

  lose(): void {
    this.gpu.device.destroy();
  }

  corrupt(op: ExecOp): void {
    if (op.kind === 'matmul') this.device.queue.writeBuffer(this.buffer(op.c), op.offC * 4, new Float32Array([1e3]));
  }

  dispose(): void {
    this.freeAll();
    this.timer.dispose();
    this.gpu.device.destroy();
  }
}
