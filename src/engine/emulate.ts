// "Your GPU as the unit": one step's logical graph replayed with each kernel as measured alone on this adapter and
// each collective at the target's time scaled by s = F_target / F_local (the target's balance of compute to
// communication), or as measured here with link=measured. And the timelines of that replay and of the wall clock.

import type { Config } from '../config/params.ts';
import type { Target } from '../model/target.ts';
import type { Style } from '../workloads/plan.ts';
import type { Deployment } from './deploy.ts';
import type { ExecEvent } from './exec.ts';
import { isComm, unitsOf, type Graph } from './graph.ts';
import { kFloatBytes, signature } from './program.ts';
import { replay, type Replay } from './replay.ts';
import type { RunRecord, TimelineEvent } from './result.ts';

/** Whether a side's communication is priced by its target model here (or taken as measured). */
export const modelled = (c: Config, style: Style): boolean => (style === 'wafer' ? c.fabric !== 'measured' : c.link !== 'measured');

/** s = F_target / F_local: how much slower this adapter is than one target unit. */
export const timeScale = (target: Target, localFlops: number): number => (target.peakTflops * 1e12) / target.units / localFlops;

/** The measured time of each logical collective in one step: from its first lowered op's start to its last one's end. */
function measuredCollectives(d: Deployment, events: ExecEvent[]): Map<number, number> {
  const span = new Map<number, [number, number]>();
  for (const e of events) {
    const id = d.toLogical[e.node] ?? -1;
    if (id < 0 || d.logical.nodes[id]!.kind !== 'collective') continue;
    const s = span.get(id);
    span.set(id, s ? [Math.min(s[0], e.start), Math.max(s[1], e.end)] : [e.start, e.end]);
  }
  return new Map([...span].map(([id, [a, b]]) => [id, b - a]));
}

/**
 * One step's "your GPU as the unit" timeline (ms): kernels take their time measured alone (`alone`: per signature,
 * per sample); collectives the target's time × s, or their measured time when `target` is null.
 */
export function emulateStep(
  d: Deployment,
  target: Target | null,
  scale: number,
  alone: Map<string, number[]>,
  sample: number,
  events: ExecEvent[],
): Replay {
  const measured = target ? null : measuredCollectives(d, events);
  return replay(d.logical, (n) => {
    if (n.kind === 'compute') {
      const times = alone.get(signature(n.op))!;
      return { dur: times[sample % times.length]!, resources: [`cu${n.unit}`] };
    }
    if (n.kind !== 'collective') throw new Error('a logical program has no point-to-point transfers');
    if (!measured) {
      const c = target!.collective(n.op);
      return { dur: (scale * c.us) / 1e3, resources: c.resources };
    }
    return { dur: measured.get(n.id) ?? 0, resources: n.op.group.map((u) => `port${u}`) };
  });
}

/** A replay as timeline events: one per unit of every node; a collective's bytes at `elemBytes` per element. */
export function timelineOf(g: Graph, r: Replay, elemBytes = kFloatBytes): TimelineEvent[] {
  return g.nodes.flatMap((n) =>
    unitsOf(n).map((u) => ({
      node: n.id,
      device: u,
      kind: isComm(n) ? ('comm' as const) : ('compute' as const),
      label: n.kind === 'comm' ? n.send.label : n.op.label,
      start: r.nodes[n.id]!.start,
      dur: r.nodes[n.id]!.dur,
      bytes: n.kind === 'collective' ? n.op.count * elemBytes : n.kind === 'comm' ? n.bytes : 0,
    })),
  );
}

/** The measured timeline as events, relative to the iteration's start. */
export function measuredTimelineOf(g: Graph, events: (ExecEvent & { unit: number })[], t0: number): TimelineEvent[] {
  return events.map((e) => {
    const n = g.nodes[e.node]!;
    return {
      node: e.node,
      device: e.unit,
      kind: isComm(n) ? 'comm' : 'compute',
      label: n.kind === 'comm' ? n.send.label : n.op.label,
      start: e.start - t0,
      dur: e.end - e.start,
      bytes: n.kind === 'comm' ? n.bytes : 0,
    };
  });
}

/** The your-GPU view's model as a run records it. */
export function modelInfo(target: Target | null, scale: number): RunRecord['linkModel'] {
  if (!target) return null;
  return { label: target.describe, source: 'the target model (see target.assumptions)', scale, gbps: null, alphaUs: null };
}

export function emulationText(style: Style, units: number, priced: boolean): string {
  const what = style === 'wafer' ? `${units} tiles of one wafer-scale device` : `${units} devices like this one`;
  const links = priced
    ? "collectives at the target's time × s (the target's balance of compute to communication)"
    : 'collectives as measured here';
  return `your GPU as the unit: ${what}, each kernel timed alone on this adapter, ${links}; not the wall time of workers sharing this GPU`;
}
