// The run's shared state and hooks: what the page passes in, the errors a run ends with, the worker pools it
// starts, and how the link model is recorded in a run.

import type { Config } from '../config/params.ts';
import type { UnitModel } from '../config/presets.ts';
import type { Capabilities } from '../gpu/device.ts';
import type { FaultSpec } from './exec.ts';
import type { Inputs } from './deploy.ts';
import { Pool } from './pool.ts';
import type { Result, RunRecord } from './result.ts';
import type { TransportKind } from './transport.ts';
import type { Style } from './workloads.ts';

export interface RunHooks {
  signal: AbortSignal;
  progress(phase: string, fraction: number): void;
  /** Called after each timed iteration with what is known so far (for live charts). */
  iteration?(mode: Style, i: number, it: { stepMs: number; emulatedStepMs: number; hidden: boolean; gflops: number }): void;
  /** Called when a run record or collective row is complete. */
  partial?(result: Result): void;
  isHidden(): boolean;
  cache: { get(key: string): string | null; set(key: string, value: string): void };
  kernels?: boolean;
  /** Test-only: corrupt matmul outputs so that verification must fail. */
  corrupt?: boolean;
  /** Test-only: a fault injected by one cluster shard mid-run. */
  fault?: FaultSpec;
}

export class StoppedError extends Error {
  constructor() {
    super('stopped');
  }
}

export function checkStopped(signal: AbortSignal): void {
  if (signal.aborted) throw new StoppedError();
}

export interface Context {
  c: Config;
  hooks: RunHooks;
  inputs: Inputs;
  ranking: string[];
  localGflops: number;
  transport: TransportKind;
  caps: Capabilities | null;
  notes: string[];
  backend: 'webgpu' | 'cpu';
  cpuReason: string;
}

export async function startPool(ctx: Context, style: Style, size: number): Promise<Pool> {
  const pool = new Pool(size, style, ctx.c.timeout);
  const onAbort = () => pool.terminate();
  ctx.hooks.signal.addEventListener('abort', onAbort, { once: true });
  const caps = await pool.init({
    timeoutMs: ctx.c.timeout,
    ranking: ctx.ranking,
    corrupt: ctx.hooks.corrupt === true,
    fault: style === 'cluster' ? ctx.hooks.fault : undefined,
    backend: ctx.backend,
    cpuReason: ctx.cpuReason,
  });
  ctx.caps ??= caps[0]!;
  return pool;
}

/** The link model as recorded in a run: figures, source, and the time scale s = F_target / F_local. */
export function modelInfo(model: UnitModel | null, localGflops: number): RunRecord['linkModel'] {
  if (!model) return null;
  return {
    label: model.label,
    source: model.source,
    scale: (model.flops ?? 0) / (localGflops * 1e9),
    gbps: model.bytesPerSec / 1e9,
    alphaUs: model.alphaSec * 1e6,
  };
}

/** An emulated step in the target system's time (µs): local time divided by s; null when transfers are measured. */
export function targetUs(model: UnitModel | null, localGflops: number, ms: number): number | null {
  return model?.flops ? ((ms * 1e3) / model.flops) * localGflops * 1e9 : null;
}

export function emulationText(style: Style, units: number, modelled: boolean): string {
  const what = style === 'wafer' ? `${units} tiles of one wafer-scale device` : `${units} devices like this one`;
  const links = modelled
    ? style === 'wafer'
      ? 'fabric transfers from the fabric model'
      : 'transfers from the link model'
    : 'transfers as measured here';
  return `emulated: ${what}, each kernel timed alone on this adapter, ${links}; not the wall time of workers sharing this GPU`;
}
