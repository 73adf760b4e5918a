// The event-driven replay of a step's graph: the ready node that can start earliest goes first. A node holds its
// resources (a unit's compute, a link port) for `hold` and finishes after `dur` (≥ hold): a transfer holds its
// ports for its occupancy and arrives a latency later, so concurrent messages overlap their latencies (LogGP).
// Exposed communication is what the step loses to it: T − T(every transfer free), from a second replay.

import { isComm, MinHeap, unitsOf, type Graph, type Node } from './graph.ts';

/** How long a node takes and what it holds. Times in any one unit (µs for the target, ms here). */
export interface Timing {
  dur: number;
  /** How long the resources are held (default: dur). */
  hold?: number;
  resources: string[];
}

export interface Scheduled {
  start: number;
  dur: number;
  hold: number;
}

export interface Replay {
  nodes: Scheduled[];
  step: number;
  /** The step with every transfer and collective free. */
  stepFree: number;
  /** step − stepFree: the time the step loses to communication. */
  exposedComm: number;
  /** The largest per-unit total of kernel time. */
  compute: number;
  /** The largest per-unit total of communication time. */
  comm: number;
  /** The busiest resource's total hold (a unit's compute, a port): the most a pipeline can stream per micro-batch. */
  occupancy: number;
  /** The same with every transfer and collective free. */
  occupancyFree: number;
}

/** The busiest resource's total hold time in a schedule. */
function occupancy(s: ReturnType<typeof schedule>): number {
  const held = new Map<string, number>();
  s.timings.forEach((t, id) => {
    for (const r of t.resources) held.set(r, (held.get(r) ?? 0) + s.nodes[id]!.hold);
  });
  return Math.max(0, ...held.values());
}

/** Schedules once; `timing` is asked once per node. */
export function schedule(g: Graph, timing: (n: Node) => Timing): { nodes: Scheduled[]; step: number; timings: Timing[] } {
  const timings = g.nodes.map(timing);
  const indeg = g.nodes.map((n) => n.deps.length);
  const ready = new Array<number>(g.nodes.length).fill(0);
  const free = new Map<string, number>();
  const out: Scheduled[] = g.nodes.map(() => ({ start: 0, dur: 0, hold: 0 }));
  // Keys are the earliest start known; a popped node whose resources became busy meanwhile goes back in. The heap
  // holds positions in the topological order, so ties go to the node that comes first in program order.
  const heap = new MinHeap();
  const push = (id: number, t: number) => heap.push(t, g.position[id]!);
  for (const n of g.nodes) if (indeg[n.id] === 0) push(n.id, 0);
  let step = 0;
  let done = 0;
  while (heap.size) {
    const t0 = heap.peekKey();
    const id = g.order[heap.pop()]!;
    const tm = timings[id]!;
    let start = ready[id]!;
    for (const r of tm.resources) start = Math.max(start, free.get(r) ?? 0);
    if (start > t0) {
      push(id, start);
      continue;
    }
    const dur = Math.max(0, tm.dur);
    const hold = Math.min(dur, Math.max(0, tm.hold ?? dur));
    out[id] = { start, dur, hold };
    for (const r of tm.resources) free.set(r, start + hold);
    step = Math.max(step, start + dur);
    done++;
    for (const u of g.users[id]!) {
      ready[u] = Math.max(ready[u]!, start + dur);
      if (--indeg[u]! === 0) push(u, ready[u]!);
    }
  }
  if (done !== g.nodes.length) throw new Error('the replay could not schedule every node (a dependency cycle)');
  return { nodes: out, step, timings };
}

/** The replay, and a second one with communication free for the exposed part. */
export function replay(g: Graph, timing: (n: Node) => Timing): Replay {
  const main = schedule(g, timing);
  const freeComm = schedule(g, (n) => (isComm(n) ? { dur: 0, resources: [] } : main.timings[n.id]!));
  const computePer = new Map<number, number>();
  const commPer = new Map<number, number>();
  g.nodes.forEach((n) => {
    const d = main.nodes[n.id]!.dur;
    const into = isComm(n) ? commPer : computePer;
    for (const u of n.kind === 'comm' ? [n.unit] : unitsOf(n)) into.set(u, (into.get(u) ?? 0) + d);
  });
  return {
    nodes: main.nodes,
    step: main.step,
    stepFree: freeComm.step,
    exposedComm: Math.max(0, main.step - freeComm.step),
    compute: Math.max(0, ...computePer.values()),
    comm: Math.max(0, ...commPer.values()),
    occupancy: occupancy(main),
    occupancyFree: occupancy(freeComm),
  };
}
