// The CPU backend: the same ops as TypeScript loops on Float32Arrays, for browsers without WebGPU. Results are
// verified like any run; every figure it produces is labeled as CPU, never as GPU.

import type { Capabilities } from '../src/gpu/device.ts';
import type { BytesPath, ExecOp, KernelRow } from '../src/engine/exec.ts';
import type { Backend, TimedOp } from './backend.ts';
import { randomMatrix } from '../src/config/rng.ts';

export const kCpuKernelKey = 'cpu/ikj-loop';

const now = (): number => performance.timeOrigin + performance.now();

const kSqrt2OverPi = Math.sqrt(2 / Math.PI);

/** C (+)= A·B in i-k-j order (row-major, streaming rows of B). */
function matmul(
  a: Float32Array,
  offA: number,
  b: Float32Array,
  offB: number,
  c: Float32Array,
  offC: number,
  m: number,
  n: number,
  k: number,
  acc: boolean,
): void {
  const row = new Float32Array(n);
  for (let i = 0; i < m; i++) {
    if (acc) row.set(c.subarray(offC + i * n, offC + (i + 1) * n));
    else row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = a[offA + i * k + p]!;
      const bo = offB + p * n;
      for (let j = 0; j < n; j++) row[j]! += av * b[bo + j]!;
    }
    c.set(row, offC + i * n);
  }
}

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
    const b = (n: string) => this.buffer(n);
    switch (op.kind) {
      case 'matmul':
        this.used.add(kCpuKernelKey);
        return matmul(b(op.a), op.offA, b(op.b), op.offB, b(op.c), op.offC, op.m, op.n, op.k, op.accumulate);
      case 'add': {
        const d = b(op.dst);
        const s = b(op.src);
        for (let i = 0; i < op.count; i++) d[op.offDst + i]! += s[op.offSrc + i]!;
        return;
      }
      case 'gelu': {
        const d = b(op.buf);
        for (let i = op.off; i < op.off + op.count; i++) {
          const x = d[i]!;
          d[i] = 0.5 * x * (1 + Math.tanh(kSqrt2OverPi * (x + 0.044715 * x * x * x)));
        }
        return;
      }
      case 'copy':
        b(op.dst).set(b(op.src).subarray(op.offSrc, op.offSrc + op.count), op.offDst);
        return;
      case 'fabric':
        for (const d of op.dsts) b(d.buf).set(b(op.src).subarray(op.off, op.off + op.count), d.off);
        return;
    }
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
    for (let i = 0; i < warmup; i++) matmul(a, 0, b, 0, c, 0, m, n, k, false);
    const gf: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = now();
      matmul(a, 0, b, 0, c, 0, m, n, k, false);
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
