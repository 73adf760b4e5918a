// What a device worker needs of its device: buffers, kernels, readback and timing. Two implementations: WebGPU, and
// a clearly labeled CPU backend (TypeScript kernels) for browsers without WebGPU.

import type { Capabilities } from '../src/gpu/device.ts';
import type { BytesPath, ExecOp, FabricOp, KernelRow } from '../src/engine/exec.ts';
import type { ComputeOp } from '../src/engine/program.ts';

export type TimedOp = ComputeOp | FabricOp;

export interface Backend {
  readonly caps: Capabilities;
  /** Resolves with the first fatal error (device lost, uncaptured error); never rejects. */
  readonly firstError: Promise<string>;
  alloc(sizes: Record<string, number>): Promise<void>;
  upload(name: string, offset: number, data: Float32Array<ArrayBuffer>): void;
  /** Reads `count` floats from `offset`; the read is ordered after every op run so far. */
  read(name: string, offset: number, count: number): Promise<ArrayBuffer>;
  /** Queues received bytes into a buffer; `settle()` resolves once they are in place. */
  write(name: string, byteOffset: number, bytes: Uint8Array): void;
  settle(): Promise<void>;
  /** Runs one compute or fabric op to completion. */
  run(op: TimedOp): Promise<void>;
  /** Milliseconds the op takes alone (repeated and averaged as the timer needs). */
  time(op: TimedOp): Promise<number>;
  kernels(m: number, n: number, k: number, warmup: number, samples: number, only?: string): Promise<KernelRow[]>;
  variants(n: number, k: number): string[];
  bytesPath(bytes: number): Promise<BytesPath>;
  usedKernels(): string[];
  ledger(): { buffers: number; bytes: number };
  freeAll(): void;
  /** Test hooks. */
  lose(): void;
  corrupt(op: ExecOp): void;
  dispose(): void;
}
