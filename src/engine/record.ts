// One builder for the run record: what a projection knows (the plan and its target), and what a local run adds
// (timings, verification, timelines). The runner, the all-reduce sweep and `predict` all build records here.

import type { Config } from '../config/params.ts';
import type { Projection } from '../model/project.ts';
import type { Summary } from '../stats/stats.ts';
import { kWorkloadSpecs, type Plan } from '../workloads/index.ts';
import { kFloatBytes } from './program.ts';
import type { RunRecord } from './result.ts';

const noSamples = (): Summary => ({ median: NaN, p10: NaN, p90: NaN, min: NaN, max: NaN, samples: 0 });

/** What a local run measured, verified and emulated. */
export type LocalFields = Pick<
  RunRecord,
  | 'linkModel'
  | 'commBytes'
  | 'verified'
  | 'maxAbsErr'
  | 'maxRelErr'
  | 'checked'
  | 'stepMs'
  | 'emulatedStepMs'
  | 'gflops'
  | 'computeMs'
  | 'commMs'
  | 'exposedCommMs'
  | 'commFraction'
  | 'timeline'
  | 'measuredTimeline'
  | 'iterations'
  | 'kernelKeys'
  | 'ledger'
  | 'emulation'
> & { error?: string };

/** A run record: the projection's fields, and a local run's when there was one. */
export function runRecord(c: Config, plan: Plan, p: Projection, local?: LocalFields): RunRecord {
  const layout = plan.layout;
  const spec = kWorkloadSpecs[c.workload];
  const t = p.record;
  const base: RunRecord = {
    mode: layout.style,
    workload: c.workload,
    devices: layout.units,
    units: layout.units,
    tiles: layout.style === 'wafer' ? `${layout.mesh.rows}x${layout.mesh.cols}` : null,
    strategy: spec.strategy(c, layout),
    collective: layout.collective,
    link: layout.style === 'wafer' ? c.fabric : c.link,
    linkModel: null,
    flops: plan.flops,
    // Bytes per unit as f32 elements, as schema 1 counts them (target.commBytes is at the target precision).
    commBytes: Math.round((t.commBytes / p.elemBytes) * kFloatBytes),
    verified: false,
    maxAbsErr: 0,
    maxRelErr: 0,
    checked: 0,
    stepMs: noSamples(),
    emulatedStepMs: noSamples(),
    targetStepUs: t.stepUs,
    gflops: { median: NaN, p10: NaN, p90: NaN },
    computeMs: NaN,
    commMs: NaN,
    exposedCommMs: NaN,
    commFraction: NaN,
    timeline: [],
    measuredTimeline: [],
    iterations: [],
    kernelKeys: [],
    ledger: { held: { buffers: 0, bytes: 0 }, leftAfterFree: { buffers: 0, bytes: 0 }, workers: 0 },
    describe: plan.describe,
    emulation: 'projection: nothing ran here; every figure is the target model',
    target: t,
    targetTimeline: p.timeline,
  };
  return local ? { ...base, ...local } : base;
}
