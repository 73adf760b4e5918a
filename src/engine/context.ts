// The run's shared state and hooks: what the page passes in, the errors a run ends with, and the worker pools it
// starts.

import type { Config } from '../config/params.ts';
import type { Capabilities } from '../gpu/device.ts';
import type { FaultSpec } from './exec.ts';
import type { Inputs } from './inputs.ts';
import { Pool } from './pool.ts';
import type { Result } from './result.ts';
import type { TransportKind } from './transport.ts';
import type { Style } from '../workloads/plan.ts';

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
