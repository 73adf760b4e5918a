// The automation hooks of the public contract: data-bench-state, wafer-bench:* events, globalThis.waferBench,
// and the parent-frame messages of an embedded page.

import type { Result } from './engine/result.ts';
import type { FaultSpec } from './engine/exec.ts';

export const kStates = Object.freeze(['idle', 'running', 'done', 'error', 'stopped'] as const);
export type BenchState = (typeof kStates)[number];

export const kMessageTypes = Object.freeze(['ready', 'progress', 'result', 'error'] as const);

export interface RunOptions {
  /** Adds a row per matmul variant (the CLI's --kernels). */
  kernels?: boolean;
  /** Test-only: corrupt matmul outputs so that verification fails. */
  corrupt?: boolean;
  /** Test-only: a fault injected by one cluster shard mid-run. */
  fault?: FaultSpec;
}

export interface WaferBenchApi {
  run(query?: string, options?: RunOptions): Promise<Result>;
  stop(): void;
  result: Result | null;
  /** The projection (schema 2, `projection: true`) of the configuration the controls show now. */
  readonly projection: Result | null;
  /** The link to this configuration; with a result, the fragment carries it. */
  shareLink(result?: Result | null): Promise<string>;
  /** Live device workers (leak checks). */
  readonly workers: number;
}

declare global {
  var waferBench: WaferBenchApi;
}

/** Posts to the embedding parent, with an explicit target origin where one is known. */
export function postToParent(type: (typeof kMessageTypes)[number], detail: Record<string, unknown>, targetOrigin: string | null): void {
  if (window.parent === window) return;
  window.parent.postMessage({ source: 'wafer-bench', type, ...detail }, targetOrigin ?? '*');
}

export function setState(s: BenchState): void {
  document.body.dataset.benchState = s;
}

export function emit(name: 'ready' | 'progress' | 'result' | 'error' | 'projection', detail: unknown): void {
  window.dispatchEvent(new CustomEvent(`wafer-bench:${name}`, { detail }));
}
