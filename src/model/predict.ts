// The projection of a whole configuration, with nothing run: both sides sized by the `equal` rule, each
// workload's plan projected onto its target, the one-GPU and whole-wafer baselines, the size and unit sweeps,
// and the all-reduce sweep's rows — as a schema-2 result with `projection: true`. Pure: runs in Node and on the
// page, at any size.

import { ConfigError } from '../config/errors.ts';
import { kMaxUnits, normalizedConfig, type Config } from '../config/params.ts';
import { collectiveProblem, kBusFactor } from '../collectives/index.ts';
import { collectivesOf } from '../engine/program.ts';
import type {
  CollectiveRow,
  Env,
  LlmCurvePoint,
  LlmCurveSide,
  Result,
  RunRecord,
  SizePoint,
  SizeSide,
  TargetSummary,
} from '../engine/result.ts';
import { kWorkloadSpecs, layoutOf, type Layout, type Plan, type Style, type WorkloadSpec } from '../workloads/index.ts';
import { allReducePlan, sweepSizes } from '../workloads/allreduce.ts';
import { runRecord } from '../engine/record.ts';
import {
  customPeakTflops,
  fabricFor,
  gpuFor,
  hardwareNotes,
  project,
  targetsFor,
  type Projection,
  type Targets,
  type TargetRecord,
} from './project.ts';
import { fitNote, isLlm, llmRecord } from './llm.ts';
import { at } from './figure.ts';

export const kVersion = '0.2.0';

export const stylesOf = (c: Config): Style[] => (c.mode === 'compare' ? ['wafer', 'cluster'] : [c.mode]);

export const specOfWorkload = (c: Config): WorkloadSpec => kWorkloadSpecs[c.workload];

/** The cluster's unit count under the `equal` rule (compare only): as many GPUs as the wafer systems' power, or peak, buys. */
export function clusterUnits(c: Config): number {
  if (c.mode !== 'compare' || c.equal === 'units') return c.shards;
  const wafer = fabricFor(c);
  // gpu=custom carries the tflops peak; link=custom overrides the GPU's peak as its target does.
  const gpu = gpuFor(c);
  const ratio =
    c.equal === 'power'
      ? at(wafer.watts, 'mid', 'low') / at(gpu.watts, 'mid', 'low')
      : (customPeakTflops(c, 'wafer') ?? wafer.peak[c.precision].value) / (customPeakTflops(c, 'cluster') ?? gpu.peak[c.precision].value);
  // A model may take several wafer systems: the cluster matches all of them.
  const systems = specOfWorkload(c).layout?.(c, 'wafer').wafers ?? 1;
  return Math.min(kMaxUnits, Math.max(1, Math.round(ratio * systems)));
}

/** The layout of a side, with the `equal` rule applied to the cluster, or as the workload places itself. */
export function sideLayout(c: Config, style: Style, units?: number): Layout {
  const ruled = units ?? (style === 'cluster' && c.mode === 'compare' && c.equal !== 'units' ? clusterUnits(c) : undefined);
  const spec = specOfWorkload(c);
  if (spec.layout) return spec.layout(c, style, ruled);
  return ruled !== undefined ? layoutOf(c, style, ruled) : layoutOf(c, style);
}

/** The plan of a side, refused with the reason when the configuration cannot be laid out. */
export function planSide(c: Config, layout: Layout, local = false): Plan {
  const spec = specOfWorkload(c);
  const problem = spec.problem(c, layout);
  if (problem) throw new ConfigError(`${layout.style}: ${problem}`);
  const plan = spec.plan(c, layout, local);
  for (const coll of collectivesOf(plan.program)) {
    const why = collectiveProblem(coll.algorithm, coll.group.length);
    if (why) throw new ConfigError(`${layout.style}: ${why}`);
  }
  return plan;
}

export function projectSide(c: Config, layout: Layout): { plan: Plan; projection: Projection } {
  const plan = planSide(c, layout);
  return { plan, projection: project(plan, targetsFor(c, layout)) };
}

/** The projected step of a side, µs. */
export const projectedStepUs = (c: Config, layout: Layout): number => projectSide(c, layout).projection.record.stepUs;

/** The projected step, or null where the layout cannot take the work (a point a sweep leaves out). */
function stepOrNull(c: Config, layout: Layout): number | null {
  try {
    return projectedStepUs(c, layout);
  } catch {
    return null;
  }
}

/** The side's projected record, or null where it cannot take the work. */
function recordOrNull(c: Config, style: Style): TargetRecord | null {
  try {
    return projectSide(c, sideLayout(c, style)).projection.record;
  } catch {
    return null;
  }
}

/** The one-GPU and whole-wafer baselines of the same step, where the workload can be laid out on one unit. */
function baselines(c: Config): TargetSummary['baselines'] {
  return { gpuUs: stepOrNull(c, layoutOf(c, 'cluster', 1)), waferUs: stepOrNull(c, layoutOf(c, 'wafer', 1)) };
}

export function targetSummary(c: Config, runs: RunRecord[]): TargetSummary {
  const w = runs.filter((r) => r.mode === 'wafer').at(-1)?.target;
  const cl = runs.filter((r) => r.mode === 'cluster').at(-1)?.target;
  const both = w && cl && w.stepUs > 0;
  return {
    speedup: both ? cl.stepUs / w.stepUs : null,
    energyRatio: both && w.joules > 0 ? cl.joules / w.joules : null,
    equal: c.mode === 'compare' ? c.equal : 'units',
    waferUnits: runs.find((r) => r.mode === 'wafer')?.units ?? null,
    clusterUnits: runs.find((r) => r.mode === 'cluster')?.units ?? null,
    speedupBand: both ? { low: cl.band.lowUs / w.band.highUs, high: cl.band.highUs / w.band.lowUs } : null,
    // The same step on one GPU and the whole wafer: for a GEMM or an MLP; a model has its own fewest units instead.
    baselines: specOfWorkload(c).kind === 'sweep' || specOfWorkload(c).layout ? { gpuUs: null, waferUs: null } : baselines(c),
  };
}

/** nccl-tests rows on the target for each message size of the sweep (`targets`: the side's, when already made). */
export function collectiveRows(c: Config, layout: Layout, targets: Targets = targetsFor(c, layout)): CollectiveRow[] {
  const eb = targets.mid.elemBytes;
  return sweepSizes(c).map((bytes) => {
    // The sweep's sizes are bytes of the target's element type, as nccl-tests reports them.
    const count = Math.max(1, Math.floor(bytes / eb));
    const size = count * eb;
    // The collective alone (nccl-tests times it without the out-of-place copy), replayed: on a mesh it is several
    // collectives, rows then columns.
    const plan = allReducePlan(count, layout, false);
    const p = project(plan, targets).record;
    const protocols = collectivesOf(plan.program).map((x) => targets.mid.collective(x).protocol);
    const timeUs = p.stepUs;
    const algbw = timeUs > 0 ? size / (timeUs * 1e-6) / 1e9 : 0;
    return {
      mode: layout.style,
      algorithm: layout.collective,
      devices: layout.units,
      bytes: size,
      count,
      timeUs,
      algbw,
      busbw: algbw * kBusFactor.allreduce(layout.units),
      wrong: NaN,
      measuredTimeUs: NaN,
      measuredBusbw: NaN,
      band: { lowUs: p.band.lowUs, highUs: p.band.highUs },
      protocol: protocols[0] ?? null,
    };
  });
}

function sizePoints(c: Config, styles: Style[]): SizePoint[] {
  const spec = specOfWorkload(c);
  const top = spec.size(c);
  const sizes: number[] = [];
  // Sizes down to a 256th of the configured one (a model's batch down to 1; other problems down to 4).
  const least = spec.layout ? 1 : 4;
  for (let s = top; s >= Math.max(least, top / 256) && sizes.length < 12; s = Math.floor(s / 2)) sizes.unshift(s);
  return sizes.map((size) => {
    const at = spec.atSize(c, size);
    const side = (style: Style): SizeSide | null => {
      const t = styles.includes(style) ? recordOrNull(at, style) : null;
      if (!t) return null;
      return {
        stepUs: t.stepUs,
        lowUs: t.band.lowUs,
        highUs: t.band.highUs,
        mfu: t.mfu,
        exposedShare: t.stepUs > 0 ? t.exposedCommUs / t.stepUs : 0,
        fits: t.fits,
      };
    };
    return { size, wafer: side('wafer'), cluster: side('cluster') };
  });
}

/** The batch sizes of the decode curve: powers of four from 1 to 256, and the configured batch. */
const curveBatches = (batch: number): number[] => [...new Set([1, 4, 16, 64, 256, batch])].sort((a, b) => a - b);

/** Decode at each batch of the curve, on the sides laid out as the configuration lays them out. */
export function llmCurve(c: Config): LlmCurvePoint[] {
  const styles = stylesOf(c);
  return curveBatches(c.batch).map((batch) => {
    const at = { ...c, batch };
    const side = (style: Style): LlmCurveSide | null => {
      const t = styles.includes(style) ? recordOrNull(at, style) : null;
      if (!t) return null;
      return {
        tokensPerSecondPerUser: 1e6 / t.stepUs,
        lowPerUser: 1e6 / t.band.highUs,
        highPerUser: 1e6 / t.band.lowUs,
        tokensPerSecond: (batch * 1e6) / t.stepUs,
        fits: t.fits,
      };
    };
    return { batch, wafer: side('wafer'), cluster: side('cluster') };
  });
}

const projectionEnv = (userAgent: string): Env => ({
  userAgent,
  crossOriginIsolated: false,
  transport: 'none',
  timestampQuery: false,
  adapter: { vendor: '', architecture: '', description: 'none: projection only', isFallbackAdapter: false },
  features: [],
  limits: {},
  backend: 'none',
});

/** The projection of `c` as a schema-2 result. Throws ConfigError when a side cannot be laid out. */
export function predict(c: Config, userAgent = 'wafer-bench predict', opts: { curve?: boolean } = {}): Result {
  const styles = stylesOf(c);
  const spec = specOfWorkload(c);
  const runs: RunRecord[] = [];
  const collectives: CollectiveRow[] = [];
  const notes = hardwareNotes(c);
  for (const style of styles) {
    const layout = sideLayout(c, style);
    const { plan, projection } = projectSide(c, layout);
    if (spec.kind === 'sweep') collectives.push(...collectiveRows(c, layout));
    const run = runRecord(c, plan, projection);
    if (isLlm(c)) {
      run.llm = llmRecord(c, layout, plan, projection, projectedStepUs);
      const note = fitNote(c, style, run.llm);
      if (note) notes.push(note);
    }
    runs.push(run);
  }
  const result: Result = {
    schema: 2,
    tool: 'wafer-bench',
    version: kVersion,
    startedAt: new Date().toISOString(),
    config: normalizedConfig(c),
    env: projectionEnv(userAgent),
    runs,
    collectives,
    summary: {
      waferGflops: null,
      clusterGflops: null,
      speedup: null,
      waferCommFraction: null,
      clusterCommFraction: null,
      waferUnits: runs.find((r) => r.mode === 'wafer')?.units ?? null,
      clusterUnits: runs.find((r) => r.mode === 'cluster')?.units ?? null,
      target: targetSummary(c, runs),
    },
    projection: true,
    localGflops: NaN,
    autotune: { ranking: [], cached: false },
    notes,
  };
  if (spec.kind === 'sweep' && styles.length === 2) {
    const w = collectives.filter((x) => x.mode === 'wafer').at(-1);
    const cl = collectives.filter((x) => x.mode === 'cluster').at(-1);
    if (w && cl && w.timeUs > 0) {
      result.summary.target!.speedup = cl.timeUs / w.timeUs;
      if (w.band && cl.band)
        result.summary.target!.speedupBand = { low: cl.band.lowUs / w.band.highUs, high: cl.band.highUs / w.band.lowUs };
    }
  }
  if (c.sweep === 'size') result.sizeSweep = sizePoints(c, styles);
  if (c.workload === 'decode' && opts.curve !== false) result.llmCurve = llmCurve(c);
  if (c.sweep === 'shards') {
    const counts: number[] = [];
    for (let u = 1; u < c.shards; u *= 2) counts.push(u);
    counts.push(c.shards);
    result.scaling = counts.map((u) => {
      const us = (style: Style): number | null => (styles.includes(style) ? stepOrNull(c, layoutOf(c, style, u)) : null);
      return { units: u, waferGflops: null, clusterGflops: null, waferUs: us('wafer'), clusterUs: us('cluster') };
    });
  }
  return result;
}
