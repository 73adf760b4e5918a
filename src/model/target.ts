// What a target model answers, for one side (a cluster of GPUs, or tiles of a wafer) in one scenario of its
// bands: how long each kernel and each collective takes and what it holds, the floors nothing may go under, and
// the side's memory, peak and power.

import type { ComputeOp } from '../ops/index.ts';
import type { CollectiveOp } from '../engine/program.ts';
import type { Scenario } from './figure.ts';

export interface CollectiveCostOut {
  us: number;
  /** The protocol NCCL would pick (clusters on NCCL), or null. */
  protocol: string | null;
  /** The smallest time it could take: its latency alone. */
  floorUs: number;
  bytesPerRank: number;
  /** Ports it holds on its members. */
  resources: string[];
}

export interface Target {
  side: 'wafer' | 'cluster';
  scenario: Scenario;
  units: number;
  /** Bytes per element on the wire and in memory (the target precision). */
  elemBytes: number;
  kernelUs(op: ComputeOp): number;
  /**
   * A kernel's time in parts (µs): its floor (the launch on a GPU, the pipeline fill across a tile; none for an op fused
   * into the kernel before it), then the longer of its compute and its memory (and, on a tile, operand) traffic.
   */
  kernelParts(op: ComputeOp): { floor: number; compute: number; memory: number };
  /** No kernel may take less: the launch overhead (GPU) or the pipeline fill across the tile (wafer). */
  kernelFloorUs(op: ComputeOp): number;
  collective(c: CollectiveOp): CollectiveCostOut;
  /** Memory one unit has, bytes. */
  unitMemoryBytes: number;
  /** Dense peak of the whole side, TFLOP/s. */
  peakTflops: number;
  /** Power of the whole side, W (units idle at their power: they are provisioned whole). */
  watts: number;
  /** In words: what a unit is and what the model assumes. */
  describe: string;
  assumptions: string[];
}
