// What the main thread asks of a device worker: executable ops (program ops tagged with their graph node) and the
// events the worker reports back. Pure types and helpers, shared by both sides.

import type { ComputeOp, RecvOp, SendOp } from './program.ts';
import type { MailboxSpec } from './transport.ts';
import type { Capabilities } from '../gpu/device.ts';

/** An on-device copy standing for fabric traffic: src region to each destination (the wafer's multicast). */
export interface FabricOp {
  kind: 'fabric';
  src: string;
  off: number;
  dsts: { buf: string; off: number }[];
  count: number;
  label: string;
}

export type ExecOp = (ComputeOp | SendOp | RecvOp | FabricOp) & { node: number };

/** One measured event: epoch milliseconds (performance.timeOrigin + now()), comparable across workers. */
export interface ExecEvent {
  node: number;
  start: number;
  end: number;
}

export type LinkSetup = { kind: 'message'; ports: [number, MessagePort][] } | { kind: 'sab'; mailboxes: MailboxSpec[] } | { kind: 'none' };

export const kFaults = Object.freeze(['crash', 'lose-device', 'hang', 'drop', 'corrupt-message'] as const);

export interface FaultSpec {
  kind: (typeof kFaults)[number];
  shard: number;
  afterOps: number;
}

export interface InitOptions {
  /** This worker's shard index (0 for the wafer's single device). */
  index: number;
  timeoutMs: number;
  /** Matmul variant keys, best first (from the autotune); empty: the built-in order. */
  ranking: string[];
  /** Test-only: corrupt every matmul output (verification must catch it). */
  corrupt?: boolean;
  /** Test-only: a fault one shard injects after running `afterOps` ops (counted over every step). */
  fault?: FaultSpec;
  /** `cpu`: TypeScript kernels, for browsers without WebGPU. */
  backend: 'webgpu' | 'cpu';
  /** Why the CPU backend is used (shown as its adapter description). */
  cpuReason?: string;
}

export interface KernelRow {
  key: string;
  family: string;
  m: number;
  n: number;
  k: number;
  /** GFLOP/s per sample. */
  samples: number[];
  source: string;
}

export interface BytesPath {
  bytes: number;
  /** Copy to a staging buffer, mapAsync and copy out, GB/s. */
  downGBs: number;
  /** writeBuffer until the queue is done, GB/s. */
  upGBs: number;
  /** The accumulate kernel alone, vector bytes reduced per second, GB/s. */
  addGBs: number;
}

export interface WorkerApi {
  init(o: InitOptions): Promise<Capabilities>;
  link(setup: LinkSetup): void;
  alloc(buffers: Record<string, number>): Promise<void>;
  upload(name: string, offset: number, data: Float32Array<ArrayBuffer>): void;
  download(name: string, offset: number, count: number): Promise<Float32Array>;
  /** Fills buf[0, count) with the seeded integer-valued stream `seed` (exact in f32 sums). */
  fillIntegers(name: string, count: number, seed: number): Promise<void>;
  /** Elements of buf[0, count) that differ from the sum of the seeded integer streams `seeds`. */
  countWrongSum(name: string, count: number, seeds: number[]): Promise<number>;
  run(ops: ExecOp[]): Promise<ExecEvent[]>;
  /** Times each op alone, `samples` times (ms per op per sample). */
  calibrate(ops: ExecOp[], samples: number): Promise<number[][]>;
  /** Times every matmul variant at m×n×k; used by the autotune and `--kernels`. */
  kernels(m: number, n: number, k: number, warmup: number, samples: number, only?: string): Promise<KernelRow[]>;
  /** Keys of the matmul variants this device can run at m×n×k. */
  variants(n: number, k: number): string[];
  /** The bytes path of this device for a message of `bytes`: readback, upload and reduction, GB/s (medians). */
  bytesPath(bytes: number): Promise<BytesPath>;
  /** Keys of the matmul variants that ran since the last call. */
  usedKernels(): string[];
  ledger(): { buffers: number; bytes: number };
  freeAll(): void;
  /** Test hook: destroys the device mid-run. */
  loseDevice(): void;
  dispose(): void;
}
