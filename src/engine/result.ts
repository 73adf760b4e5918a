// The result JSON (schema 2; every schema 1 field kept) as types; the page, the CLI and the tests all read these
// records. A projection (nothing run here) has `projection: true`, and its local fields hold no samples.

import type { Summary } from '../stats/stats.ts';
import type { Capabilities } from '../gpu/device.ts';
import type { TargetRecord } from '../model/project.ts';

export type { TargetRecord } from '../model/project.ts';

export interface TimelineEvent {
  /** The graph node it belongs to: events of one collective or transfer on several units share it. */
  node?: number;
  device: number;
  kind: 'compute' | 'comm' | 'idle';
  label: string;
  start: number;
  dur: number;
  bytes: number;
}

export interface RunRecord {
  mode: 'wafer' | 'cluster';
  workload: string;
  devices: number;
  tiles: string | null;
  strategy: string;
  collective: string;
  link: string;
  /** The unit model behind the emulated timeline, with its sources. */
  linkModel: { label: string; source: string; scale: number; gbps: number | null; alphaUs: number | null } | null;
  flops: number;
  commBytes: number;
  verified: boolean;
  maxAbsErr: number;
  maxRelErr: number;
  checked: number;
  stepMs: Summary;
  emulatedStepMs: Summary;
  /** The median emulated step in the target system's time (µs): emulated ms ÷ s; null with measured links. */
  targetStepUs: number | null;
  gflops: { median: number; p10: number; p90: number };
  computeMs: number;
  commMs: number;
  exposedCommMs: number;
  commFraction: number;
  timeline: TimelineEvent[];
  measuredTimeline: TimelineEvent[];
  /** Per timed iteration, in order (hidden ones are marked and left out of the statistics). */
  iterations: { stepMs: number; emulatedStepMs: number; hidden: boolean }[];
  kernelKeys: string[];
  /** The allocation ledger: GPU buffers held at the end of the run, and left after freeing (always zero). */
  ledger: { held: { buffers: number; bytes: number }; leftAfterFree: { buffers: number; bytes: number }; workers: number };
  describe: string;
  units: number;
  /** What the emulated timeline stands for, in words. */
  emulation: string;
  error?: string;
  /** The projection on the target hardware: the headline. */
  target?: TargetRecord;
  /** The target's timeline of one step (µs). */
  targetTimeline?: TimelineEvent[];
  /** LLM inference figures (decode and prefill). */
  llm?: LlmRecord;
}

export interface LlmRecord {
  msPerToken: number;
  tokensPerSecondPerUser: number;
  tokensPerSecond: number;
  ttftMs: number;
  tokensPerJoule: number;
  weightsGB: number;
  kvGB: number;
  fits: boolean;
  minUnitsToFit: number;
  /** Where a step goes on the busiest unit, µs: weights and cache read, compute, launches and fills, communication, waiting. */
  split?: { weightsUs: number; computeUs: number; launchUs: number; commUs: number; waitUs: number };
}

/**
 * The step over the tokens one sequence gets from it (one in decode, its prompt in prefill), as msPerToken is: what a
 * step's band is divided by to give the band per token. 1 where msPerToken is 0.
 */
export function stepsPerToken(stepUs: number, msPerToken: number): number {
  return msPerToken > 0 ? stepUs / (msPerToken * 1e3) : 1;
}

export interface CollectiveRow {
  mode: 'wafer' | 'cluster';
  algorithm: string;
  devices: number;
  bytes: number;
  count: number;
  /** Emulated time per operation (µs) on the target system (link model), or with the transfers measured here. */
  timeUs: number;
  algbw: number;
  busbw: number;
  wrong: number;
  /** Wall time per operation measured here (µs), workers time-slicing one GPU. */
  measuredTimeUs: number;
  /** busbw from the measured wall time (GB/s): what the transport really moved here. */
  measuredBusbw: number;
  /** The target time's band (µs): the fast and slow ends of the figures. */
  band?: { lowUs: number; highUs: number };
  /** The protocol NCCL would pick at this size. */
  protocol?: string | null;
}

/**
 * The ceiling of a ring all-reduce among W workers sharing this machine, from the bytes path of one device measured
 * in the same run: each rank reads back and uploads 2(n−1)/n of the vector and reduces (n−1)/n of it, and the W
 * workers share the one device, so busbw ≤ 2 / (W·(2/down + 2/up + 1/add)).
 */
export interface Ceiling {
  bytes: number;
  workers: number;
  downGBs: number;
  upGBs: number;
  addGBs: number;
  busbw: number;
}

export interface KernelResult {
  name: string;
  key: string;
  m: number;
  n: number;
  k: number;
  gflops: { median: number; p10: number; p90: number };
  source: string;
}

export interface Env {
  userAgent: string;
  crossOriginIsolated: boolean;
  transport: string;
  timestampQuery: boolean;
  adapter: Capabilities['adapter'];
  features: string[];
  limits: Record<string, number>;
  /**
   * `cpu`: no WebGPU here; TypeScript kernels ran instead. `none`: a projection, nothing ran. `torch`: measured on
   * a real cluster by tools/wafer_bench_torch.py (its process group's backend in `transport`).
   */
  backend: 'webgpu' | 'cpu' | 'none' | 'torch';
}

/** The projection summary of a comparison. */
export interface TargetSummary {
  /** cluster stepUs / wafer stepUs: above 1, the wafer is faster. */
  speedup: number | null;
  /** cluster joules / wafer joules per step. */
  energyRatio: number | null;
  equal: string;
  waferUnits: number | null;
  clusterUnits: number | null;
  /** The band of the speedup: the worst and best case for the wafer within the figures' bands. */
  speedupBand?: { low: number; high: number } | null;
  /** One GPU, and the whole wafer as one tile, doing the same step (µs). */
  baselines?: { gpuUs: number | null; waferUs: number | null };
}

/** One point of sweep=size: the projection of each side at a problem size. */
export interface SizePoint {
  size: number;
  wafer: SizeSide | null;
  cluster: SizeSide | null;
}

export interface SizeSide {
  stepUs: number;
  lowUs: number;
  highUs: number;
  mfu: number;
  exposedShare: number;
  fits: boolean;
}

/** Decode at one batch size: tokens per second per user on each side, with the band, and in total. */
export interface LlmCurvePoint {
  batch: number;
  wafer: LlmCurveSide | null;
  cluster: LlmCurveSide | null;
}

export interface LlmCurveSide {
  tokensPerSecondPerUser: number;
  /** The band's slow and fast ends, tokens/s per user. */
  lowPerUser: number;
  highPerUser: number;
  tokensPerSecond: number;
  fits: boolean;
}

/** Measured points shown beside a result (nccl-tests logs, a cluster's result, a published sweep), for the bandwidth chart. */
export interface ImportedSeries {
  label: string;
  /** Where the points come from: a file name, a URL. Plain text. */
  source?: string;
  points: { bytes: number; timeUs: number; busbw: number }[];
}

export interface Result {
  schema: 2;
  tool: 'wafer-bench';
  version: string;
  startedAt: string;
  config: Record<string, unknown>;
  env: Env;
  runs: RunRecord[];
  collectives: CollectiveRow[];
  summary: {
    waferGflops: number | null;
    clusterGflops: number | null;
    speedup: number | null;
    waferCommFraction: number | null;
    clusterCommFraction: number | null;
    waferUnits: number | null;
    clusterUnits: number | null;
    target?: TargetSummary;
  };
  /** Nothing ran here: every figure is the target model's. */
  projection?: true;
  sizeSweep?: SizePoint[];
  /** Decode: tokens/s per user against the batch, both sides (the configured batch among the points). */
  llmCurve?: LlmCurvePoint[];
  kernels?: KernelResult[];
  /** The bytes-path ceiling for the cluster's all-reduce (allreduce workload). */
  ceiling?: Ceiling;
  /** Matmul rate of this adapter used to scale the link model (GFLOP/s). */
  localGflops: number;
  autotune: { ranking: string[]; cached: boolean };
  notes: string[];
  scaling?: {
    units: number;
    waferGflops: number | null;
    clusterGflops: number | null;
    waferUs?: number | null;
    clusterUs?: number | null;
  }[];
  /** Imported measurements carried by a shared link (at most kMaxImportedSeries × kMaxImportedPoints). */
  imported?: ImportedSeries[];
}
