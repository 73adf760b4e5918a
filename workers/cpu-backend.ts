// The CPU backend: the same ops as TypeScript loops on Float32Arrays, for browsers without WebGPU. Results are
// verified like any run; every figure it produces is labeled as CPU, never as GPU.

import type { Capabilities } from '../src/gpu/device.ts';
import type { BytesPath, ExecOp, KernelRow } from '../src/engine/exec.ts';
import type { Backend, TimedOp } from './backend.ts';
import { randomMatrix } from '../src/config/rng.ts';
import { kOps, specOf, type MatmulOp } from '../src/ops/index.ts';

export const kCpuKernelKey = 'cpu/ikj-loop';

const now = (): number => performance.timeOrigin + performance.now();

export class CpuBackend implements Backend {
  private readonly buffers = new Map<string, Float32Array>();
  private readonly used = new Set<string>();
  readonly firstError = new Promise<string>(() => {});
  readonly caps: Capabilities;

  constructor(why: string) {
    this.caps = {
      adapter: {
        vendor: 'cpu',
        architecture: 'typescript',
        description: `CPU backend (TypeScript kernels in workers) — no WebGPU: ${why}`,
        isFallbackAdapter: true,
      },
      features: [],
      limits: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 },
      timestampQuery: false,
      subgroups: false,
      shaderF16: false,
    };
  }

  private buffer(name: string): Float32Array {
    const b = this.buffers.get(name);
    if (!b) throw new Error(`no buffer named ${name}`);
    return b;
  }

  async alloc(sizes: Record<string, number>): Promise<void> {
    for (const [name, floats] of Object.entries(sizes)) this.buffers.set(name, new Float32Array(Math.max(4, floats)));
  }

  upload(name: string, offset: number, data: Float32Array<ArrayBuffer>): void {
    this.buffer(name).set(data, offset);
  }

  async read(name: string, offset: number, count: number): Promise<ArrayBuffer> {
    return this.buffer(name).slice(offset, offset + count).buffer;
  }

  write(name: string, byteOffset: number, bytes: Uint8Array): void {
    new Uint8Array(this.buffer(name).buffer).set(bytes, byteOffset);
  }

  async settle(): Promise<void> {}

  async run(op: TimedOp): Promise<void> {
    if (op.kind === 'fabric') {
      for (const d of op.dsts) this.buffer(d.buf).set(this.buffer(op.src).subarray(op.off, op.off + op.count), d.off);
      return;
    }
    if (op.kind === 'matmul') this.used.add(kCpuKernelKey);
    specOf(op).cpu(op, (name) => this.buffer(name));
  }

  async time(op: TimedOp): Promise<number> {
    let reps = 0;
    const t0 = now();
    do {
      await this.run(op);
      reps++;
    } while (now() - t0 < 2 && reps < 64);
    return (now() - t0) / reps;
  }

  variants(): string[] {
    return [kCpuKernelKey];
  }

  async kernels(m: number, n: number, k: number, warmup: number, samples: number): Promise<KernelRow[]> {
    const a = randomMatrix(m * k, 11);
    const b = randomMatrix(k * n, 12);
    const c = new Float32Array(m * n);
    const op: MatmulOp = { kind: 'matmul', a: 'a', offA: 0, b: 'b', offB: 0, c: 'c', offC: 0, m, n, k, accumulate: false, label: 'timing' };
    const mem = (name: string) => ({ a, b, c })[name as 'a' | 'b' | 'c'];
    for (let i = 0; i < warmup; i++) kOps.matmul.cpu(op, mem);
    const gf: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = now();
      kOps.matmul.cpu(op, mem);
      gf.push((2 * m * n * k) / ((now() - t0) * 1e6));
    }
    return [{ key: kCpuKernelKey, family: 'cpu', m, n, k, samples: gf, source: 'wall' }];
  }

  async bytesPath(bytes: number): Promise<BytesPath> {
    const count = Math.max(4, Math.floor(bytes / 16) * 4);
    const a = randomMatrix(count, 13);
    const b = new Float32Array(count);
    let t0 = now();
    b.set(a);
    const copy = (count * 4) / Math.max(1e-6, (now() - t0) * 1e6);
    t0 = now();
    for (let i = 0; i < count; i++) b[i]! += a[i]!;
    const add = (count * 4) / Math.max(1e-6, (now() - t0) * 1e6);
    return { bytes: count * 4, downGBs: copy, upGBs: copy, addGBs: add };
  }

  usedKernels(): string[] {
    const out = [...this.used];
    this.used.clear();
    return out;
  }

  ledger(): { buffers: number; bytes: number } {
    let bytes = 0;
    for (const b of this.buffers.values()) bytes += b.byteLength;
    return { buffers: this.buffers.size, bytes };
  }

  freeAll(): void {
    this.buffers.clear();
  }

  lose(): void {
    this.buffers.clear();
  }

  corrupt(op: ExecOp): void {
    if (op.kind === 'matmul') this.buffer(op.c)[op.offC] = 1e3;
  }

  dispose(): void {
    this.freeAll();
  }
}
