// From one step's measurements to its emulated timeline: kernel durations measured alone, transfer durations from
// the link model (or as measured), replayed over the step's dependency graph.

import { fabricUnit, linkUnit, transferMs, type UnitModel } from '../config/presets.ts';
import type { Config } from '../config/params.ts';
import { replay, type Graph, type Replay } from './graph.ts';
import { signature } from './program.ts';
import type { ExecEvent } from './exec.ts';
import type { TimelineEvent } from './result.ts';
import type { Plan, Style } from './workloads.ts';

/** The unit model for a style, or null when transfers are taken as measured. */
export function unitModel(c: Config, style: Style, units: number): UnitModel | null {
  const custom = { alpha: c.alpha, gbps: c.gbps, tflops: c.tflops };
  return style === 'wafer' ? fabricUnit(c.fabric, units, custom) : linkUnit(c.link, custom);
}

/** Mesh hops between two tiles (Manhattan distance); 1 between shards (switched or neighbouring links). */
export function hops(plan: Plan, from: number, to: number): number {
  if (!plan.mesh) return 1;
  const C = plan.mesh.cols;
  return Math.abs(Math.floor(from / C) - Math.floor(to / C)) + Math.abs((from % C) - (to % C));
}

/** Measured duration of each transfer node in one iteration: data handed off by the sender to data in place. */
export function measuredTransfers(g: Graph, events: ExecEvent[]): Map<number, number> {
  const byNode = new Map<number, ExecEvent[]>();
  for (const e of events) {
    const l = byNode.get(e.node) ?? [];
    l.push(e);
    byNode.set(e.node, l);
  }
  const out = new Map<number, number>();
  for (const n of g.nodes) {
    if (n.kind !== 'comm') continue;
    const evs = byNode.get(n.id) ?? [];
    if (!evs.length) continue;
    const start = Math.min(...evs.map((e) => e.start));
    const end = Math.max(...evs.map((e) => e.end));
    out.set(n.id, end - start);
  }
  return out;
}

/**
 * One step's emulated timeline: each kernel takes its time measured alone (`alone`: per signature, per sample), and
 * each transfer the link model's time, or its measured time in `events` when transfers are taken as measured.
 */
export function emulateStep(
  plan: Plan,
  g: Graph,
  model: UnitModel | null,
  localFlops: number,
  alone: Map<string, number[]>,
  sample: number,
  events: ExecEvent[],
): Replay {
  const measured = model ? null : measuredTransfers(g, events);
  return replay(g, (n) => {
    if (n.kind === 'compute') {
      const times = alone.get(signature(n.op))!;
      return times[sample % times.length]!;
    }
    if (!measured) return transferMs(model!, localFlops, n.bytes, Math.max(...n.recvs.map((r) => hops(plan, n.unit, r.unit))));
    return measured.get(n.id) ?? 0;
  });
}

/** The emulated timeline as events: one per compute node, one per transfer (on the sender's lane). */
export function timelineOf(g: Graph, r: Replay): TimelineEvent[] {
  return g.nodes.map((n) => ({
    device: n.unit,
    kind: n.kind,
    label: n.kind === 'compute' ? n.op.label : `${n.send.label} → ${n.recvs.map((x) => x.unit).join(',')}`,
    start: r.nodes[n.id]!.start,
    dur: r.nodes[n.id]!.dur,
    bytes: n.kind === 'comm' ? n.bytes : 0,
  }));
}

/** The measured timeline as events, relative to the iteration's start. */
export function measuredTimelineOf(g: Graph, events: (ExecEvent & { unit: number })[], t0: number): TimelineEvent[] {
  return events.map((e) => {
    const n = g.nodes[e.node]!;
    return {
      device: e.unit,
      kind: n.kind,
      label: n.kind === 'compute' ? n.op.label : n.send.label,
      start: e.start - t0,
      dur: e.end - e.start,
      bytes: n.kind === 'comm' ? n.bytes : 0,
    };
  });
}
