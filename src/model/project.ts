// The projection of a plan onto its target: the logical program's graph replayed with the target's durations in
// each scenario of the bands (middle, fast end, slow end), with the physical floors asserted, memory checked,
// and the record every view reads (step, compute, communication, exposed communication, TFLOP/s, MFU, energy).

import type { Config } from '../config/params.ts';
import { timelineOf } from '../engine/emulate.ts';
import { buildGraph, type Graph, type Node } from '../engine/graph.ts';
import { replay, type Replay, type Timing } from '../engine/replay.ts';
import type { TimelineEvent } from '../engine/result.ts';
import type { Layout, Plan } from '../workloads/plan.ts';
import { ClusterTarget } from './cluster.ts';
import { fig, kScenarios, type Scenario } from './figure.ts';
import { kFabricPresets, type FabricPreset } from './hardware/fabrics.ts';
import { kGpuPresets, type GpuPreset } from './hardware/gpus.ts';
import { kLinkPresets, type LinkPreset } from './hardware/links.ts';
import type { Target } from './target.ts';
import { WaferTarget } from './wafer.ts';

export type Targets = Readonly<Record<Scenario, Target>>;

/** The projection of one side, as runs[i].target carries it. */
export interface TargetRecord {
  stepUs: number;
  /** The step with communication free. */
  computeUs: number;
  /** The largest per-unit total of collective time. */
  commUs: number;
  /** stepUs − computeUs: what communication costs the step. */
  exposedCommUs: number;
  /** Useful FLOP/s of the whole side, TFLOP/s. */
  tflops: number;
  /** tflops / peakTflops. */
  mfu: number;
  peakTflops: number;
  watts: number;
  joules: number;
  band: { lowUs: number; highUs: number };
  /** Bytes one unit sends per step at the target precision (the largest over units). */
  commBytes: number;
  /** Memory the busiest unit needs at the target precision, and what it has. */
  memoryBytes: number;
  memoryCapacityBytes: number;
  fits: boolean;
  /** The protocols NCCL would pick for this step's collectives (clusters on NCCL). */
  protocols: string[];
  describe: string;
  assumptions: string[];
}

/** A physical floor broken by the model: a bug, never a result. */
export class FloorError extends Error {}

/** The cluster's GPU: the one asked for, or the one the link usually joins; gpu=custom is that one with the tflops peak. */
export function gpuFor(c: Config): GpuPreset {
  const linkGpu = c.link === 'measured' || c.link === 'custom' ? 'h100' : kLinkPresets[c.link].gpu;
  if (c.gpu === 'custom') {
    const base = kGpuPresets[linkGpu];
    const peak = fig(c.tflops!, 'TFLOP/s', `custom dense peak at ${c.precision}`, 'the tflops parameter');
    return {
      ...base,
      name: 'custom',
      label: `custom GPU (${c.tflops} TFLOP/s; ${base.label} otherwise)`,
      peak: { bf16: peak, fp8: peak, f32: peak },
    };
  }
  return kGpuPresets[c.gpu ?? linkGpu];
}

function linkFor(c: Config): { link: LinkPreset; note: string | null } {
  if (c.link === 'measured') return { link: kLinkPresets.nvlink4, note: 'link=measured has no target link: the projection uses nvlink4' };
  if (c.link === 'custom') {
    const bw = fig(c.gbps!, 'GB/s', 'custom bandwidth per device per direction', 'the gbps parameter');
    const link: LinkPreset = {
      name: 'custom',
      label: `custom link (${c.gbps} GB/s per direction, ${c.alpha} µs per message${c.base ? `, ${c.base} µs per collective` : ''})`,
      topology: 'switch',
      lineGBs: bw,
      links: 1,
      busGBs: bw,
      latency: {
        kind: 'fixed',
        baseUs: fig(c.base ?? 0, 'µs', 'custom latency once per collective', 'the base parameter'),
        hopUs: fig(c.alpha!, 'µs', 'custom latency per message (per step of a collective)', 'the alpha parameter'),
      },
      gpu: 'h100',
      launchIncluded: true,
    };
    return { link, note: null };
  }
  return { link: kLinkPresets[c.link], note: null };
}

/** The wafer side's fabric (wse3 for fabric=measured and fabric=custom, whose overrides the target applies). */
export function fabricFor(c: Config): FabricPreset {
  return c.fabric === 'measured' || c.fabric === 'custom' ? kFabricPresets.wse3 : kFabricPresets[c.fabric];
}

/** The peak a custom wafer (fabric=custom) or a custom link (link=custom) sets with `tflops`, or null. */
export function customPeakTflops(c: Config, style: 'wafer' | 'cluster'): number | null {
  const custom = style === 'wafer' ? c.fabric === 'custom' : c.link === 'custom';
  return custom ? c.tflops! : null;
}

/** The three scenario targets of one side. */
export function targetsFor(c: Config, layout: Layout): Targets {
  const make = (s: Scenario): Target => {
    if (layout.style === 'wafer') {
      const peakTflops = customPeakTflops(c, 'wafer');
      const custom = peakTflops !== null ? { peakTflops, hopUs: c.alpha!, linkGBs: c.gbps! } : {};
      return new WaferTarget({ fabric: fabricFor(c), mesh: layout.mesh, precision: c.precision, wafers: layout.wafers, ...custom }, s);
    }
    const gpu = gpuFor(c);
    const { link } = linkFor(c);
    const peakTflops = customPeakTflops(c, 'cluster');
    const peak = peakTflops !== null ? { peakTflops } : {};
    return new ClusterTarget(
      { gpu, link, scaleout: kLinkPresets[c.scaleout], gpusPerNode: c.gpusPerNode, units: layout.units, precision: c.precision, ...peak },
      s,
    );
  };
  return Object.freeze({ mid: make('mid'), fast: make('fast'), slow: make('slow') });
}

/** Notes on what the configuration's hardware choices mean for the projection. */
export function hardwareNotes(c: Config): string[] {
  return [linkFor(c).note].filter((x): x is string => x !== null);
}

/** How long each node of a logical program takes on `t`, and what it holds. */
export function timingOf(t: Target): (n: Node) => Timing {
  return (n) => {
    if (n.kind === 'compute') return { dur: t.kernelUs(n.op), resources: [`cu${n.unit}`] };
    if (n.kind === 'collective') {
      const c = t.collective(n.op);
      return { dur: c.us, resources: c.resources };
    }
    throw new Error('a logical program has no point-to-point transfers');
  };
}

/** Asserts the floors on a replay: no kernel under its launch or fill, no collective under its latency, no port shared. */
export function checkFloors(g: Graph, r: Replay, t: Target): void {
  const eps = 1e-9;
  const held = new Map<string, [number, number][]>();
  g.nodes.forEach((n) => {
    const s = r.nodes[n.id]!;
    if (n.kind === 'compute') {
      const floor = t.kernelFloorUs(n.op);
      if (s.dur + eps < floor) throw new FloorError(`${n.op.label} takes ${s.dur} µs, under its floor of ${floor} µs`);
    } else if (n.kind === 'collective') {
      const c = t.collective(n.op);
      if (s.dur + eps < c.floorUs) throw new FloorError(`${n.op.label} takes ${s.dur} µs, under its latency of ${c.floorUs} µs`);
      for (const res of c.resources) (held.get(res) ?? held.set(res, []).get(res)!).push([s.start, s.start + s.hold]);
    }
  });
  for (const [res, spans] of held) {
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++)
      if (spans[i]![0] + eps < spans[i - 1]![1]) throw new FloorError(`port ${res} carries two transfers at once at ${spans[i]![0]} µs`);
  }
}

/** Memory the busiest unit needs at the target precision. */
export function memoryBytes(plan: Plan, elemBytes: number): number {
  return Math.max(0, ...plan.program.buffers.map((b) => Object.values(b).reduce((s, x) => s + x, 0) * elemBytes));
}

export interface Projection {
  record: TargetRecord;
  timeline: TimelineEvent[];
  graph: Graph;
  /** The middle scenario's target, which the record and timeline are of. */
  target: Target;
  /** Bytes per element at the target precision. */
  elemBytes: number;
}

/**
 * A step of m micro-batches through a pipeline, from one micro-batch's pass (`pass`) and its busiest resource's
 * time (`busiest`): steady, max(pass, m·busiest); filled and drained, pass + (m − 1)·busiest (GPipe's bubble).
 */
export function streamed(p: Plan['pipeline'], pass: number, busiest: number): number {
  if (!p || p.microbatches <= 1) return pass;
  return p.steady ? Math.max(pass, p.microbatches * busiest) : pass + (p.microbatches - 1) * busiest;
}

/** Projects one plan: the replay in every scenario, floors asserted, and the record and timeline of the middle one. */
export function project(plan: Plan, targets: Targets): Projection {
  const g = buildGraph(plan.program);
  const replays = {} as Record<Scenario, Replay>;
  for (const s of kScenarios) {
    replays[s] = replay(g, timingOf(targets[s]));
    checkFloors(g, replays[s], targets[s]);
  }
  const t = targets.mid;
  const r = replays.mid;
  const m = plan.pipeline?.microbatches ?? 1;
  const step = streamed(plan.pipeline, r.step, r.occupancy);
  const stepFree = streamed(plan.pipeline, r.stepFree, r.occupancyFree);
  const sent = new Map<number, number>();
  const protocols = new Set<string>();
  for (const n of g.nodes) {
    if (n.kind !== 'collective') continue;
    const c = t.collective(n.op);
    if (c.protocol) protocols.add(c.protocol);
    for (const u of n.op.group) sent.set(u, (sent.get(u) ?? 0) + c.bytesPerRank);
  }
  const mem = memoryBytes(plan, t.elemBytes);
  const tflops = step > 0 ? plan.flops / (step * 1e6) : 0;
  const record: TargetRecord = {
    stepUs: step,
    computeUs: stepFree,
    commUs: r.comm * m,
    exposedCommUs: Math.max(0, step - stepFree),
    tflops,
    mfu: t.peakTflops > 0 ? tflops / t.peakTflops : 0,
    peakTflops: t.peakTflops,
    watts: t.watts,
    joules: t.watts * step * 1e-6,
    band: {
      lowUs: streamed(plan.pipeline, replays.fast.step, replays.fast.occupancy),
      highUs: streamed(plan.pipeline, replays.slow.step, replays.slow.occupancy),
    },
    commBytes: Math.max(0, ...sent.values()) * m,
    memoryBytes: mem,
    memoryCapacityBytes: t.unitMemoryBytes,
    fits: mem <= t.unitMemoryBytes,
    protocols: [...protocols].sort(),
    describe: t.describe,
    assumptions: t.assumptions,
  };
  return { record, timeline: timelineOf(g, r, t.elemBytes), graph: g, target: t, elemBytes: t.elemBytes };
}
