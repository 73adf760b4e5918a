// The live projection: recomputed in a worker whenever the configuration changes, latest request wins, and
// published as `waferBench.projection` with a `wafer-bench:projection` event.

import * as Comlink from 'comlink';
import type { Result } from '../engine/result.ts';
import type { ProjectionApi } from '../../workers/projection.worker.ts';

export interface ProjectionState {
  query: string;
  result: Result | null;
  error: string | null;
}

export class LiveProjection {
  private api: Comlink.Remote<ProjectionApi> | null = null;
  private seq = 0;
  /** The query last asked for: asking again for it (Run, autorun, a field still invalid) projects nothing new. */
  private requested: string | null = null;
  state: ProjectionState | null = null;

  /** The projection last published (null before the first, or when the query cannot be projected). */
  get result(): Result | null {
    return this.state?.result ?? null;
  }

  /** `onUpdate` gets every new state; `curveOnly` when only decode's batch curve was added to the last one. */
  constructor(private readonly onUpdate: (s: ProjectionState, curveOnly: boolean) => void) {}

  private remote(): Comlink.Remote<ProjectionApi> {
    this.api ??= Comlink.wrap<ProjectionApi>(
      new Worker(new URL('../../workers/projection.worker.ts', import.meta.url), { type: 'module', name: 'projection' }),
    );
    return this.api;
  }

  /** Projects `query`; an older request finishing later is dropped. */
  async update(query: string): Promise<void> {
    if (query === this.requested) return;
    this.requested = query;
    const id = ++this.seq;
    let out: { result: Result | null; error: string | null };
    try {
      out = await this.remote().project(query);
    } catch (e) {
      out = { result: null, error: `the projection failed: ${(e as Error).message}` };
      // The worker failed, not the query: asking again tries again.
      if (id === this.seq) this.requested = null;
    }
    if (id !== this.seq) return;
    this.state = { query, ...out };
    this.onUpdate(this.state, false);
    // Decode's batch curve comes second, so the answer does not wait for it.
    if (out.result?.config.workload !== 'decode') return;
    const curve = await this.remote()
      .curve(query)
      .catch(() => null);
    if (id !== this.seq || !curve || !this.state.result) return;
    this.state = { ...this.state, result: { ...this.state.result, llmCurve: curve } };
    this.onUpdate(this.state, true);
  }
}
