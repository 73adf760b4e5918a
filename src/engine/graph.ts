// The step's dependency graph: compute nodes per unit and one transfer node per send (covering all its receivers).

import { isCompute, kFloatBytes, localDeps, type ComputeOp, type Program, type RecvOp, type SendOp } from './program.ts';

export interface ComputeNode {
  id: number;
  kind: 'compute';
  unit: number;
  op: ComputeOp;
  deps: number[];
  resources: string[];
}

export interface TransferNode {
  id: number;
  kind: 'comm';
  unit: number; // the sender
  send: SendOp;
  recvs: { unit: number; op: RecvOp }[];
  bytes: number;
  deps: number[];
  resources: string[];
}

export type Node = ComputeNode | TransferNode;

export interface Graph {
  nodes: Node[];
  /** A topological order (program order where it is free). */
  order: number[];
}

/** Link resources a transfer occupies; the wafer's fabric has one per tile per mesh axis and direction. */
export type ResourceFn = (from: number, to: number[]) => string[];

export const clusterResources: ResourceFn = (from, to) => [`tx${from}`, ...to.map((t) => `rx${t}`)];

export function meshResources(cols: number): ResourceFn {
  return (from, to) => {
    const axis = to.every((t) => Math.floor(t / cols) === Math.floor(from / cols)) ? 'row' : 'col';
    return [`tx${from}${axis}`, ...to.map((t) => `rx${t}${axis}`)];
  };
}

export function buildGraph(p: Program, resourcesOf: ResourceFn): Graph {
  const nodes: Node[] = [];
  // opNode[u][i] → node id; sends and their recvs share the transfer node.
  const opNode: number[][] = p.ops.map((ops) => ops.map(() => -1));
  const pendingRecv = new Map<string, { unit: number; index: number; op: RecvOp }[]>();
  const key = (from: number, to: number, tag: number) => `${from}>${to}#${tag}`;
  p.ops.forEach((ops, u) =>
    ops.forEach((op, i) => {
      if (op.kind === 'recv') {
        const k = key(op.from, u, op.tag);
        const list = pendingRecv.get(k) ?? [];
        list.push({ unit: u, index: i, op });
        pendingRecv.set(k, list);
      }
    }),
  );
  const transfers: { node: TransferNode; sendIndex: number; recvIdx: { unit: number; index: number }[] }[] = [];
  p.ops.forEach((ops, u) =>
    ops.forEach((op, i) => {
      if (isCompute(op)) {
        opNode[u]![i] = nodes.length;
        nodes.push({ id: nodes.length, kind: 'compute', unit: u, op, deps: [], resources: [`cu${u}`] });
      } else if (op.kind === 'send') {
        const recvs: { unit: number; op: RecvOp }[] = [];
        const recvIdx: { unit: number; index: number }[] = [];
        for (const to of op.to) {
          const match = pendingRecv.get(key(u, to, op.tag))?.shift();
          if (!match) throw new Error(`unit ${u}: ${op.label} to unit ${to} (tag ${op.tag}) has no matching receive`);
          if (match.op.count !== op.count)
            throw new Error(`unit ${u}: ${op.label} sends ${op.count} elements but unit ${to} receives ${match.op.count}`);
          recvs.push({ unit: to, op: match.op });
          recvIdx.push({ unit: to, index: match.index });
        }
        const node: TransferNode = {
          id: nodes.length,
          kind: 'comm',
          unit: u,
          send: op,
          recvs,
          bytes: op.count * kFloatBytes,
          deps: [],
          resources: resourcesOf(u, op.to),
        };
        nodes.push(node);
        opNode[u]![i] = node.id;
        for (const r of recvIdx) opNode[r.unit]![r.index] = node.id;
        transfers.push({ node, sendIndex: i, recvIdx });
      }
    }),
  );
  for (const [k, rest] of pendingRecv) if (rest.length) throw new Error(`receive ${k} has no matching send`);
  // Local hazards become edges; a transfer inherits the hazards of its send and of every receive.
  p.ops.forEach((ops, u) => {
    const deps = localDeps(ops);
    ops.forEach((_, i) => {
      const id = opNode[u]![i]!;
      for (const j of deps[i]!) {
        const d = opNode[u]![j]!;
        if (d !== id && !nodes[id]!.deps.includes(d)) nodes[id]!.deps.push(d);
      }
    });
  });
  return { nodes, order: topoOrder(nodes, p, opNode) };
}

/** Kahn's algorithm, preferring the node that comes first in its unit's program (ties: lower unit). */
function topoOrder(nodes: Node[], p: Program, opNode: number[][]): number[] {
  const rank = new Array<number>(nodes.length).fill(Infinity);
  opNode.forEach((ids) => ids.forEach((id, i) => (rank[id] = Math.min(rank[id]!, i))));
  const indeg = nodes.map((n) => n.deps.length);
  const users: number[][] = nodes.map(() => []);
  nodes.forEach((n) => n.deps.forEach((d) => users[d]!.push(n.id)));
  const ready = nodes.filter((n) => indeg[n.id] === 0).map((n) => n.id);
  const order: number[] = [];
  while (ready.length) {
    ready.sort((a, b) => rank[a]! - rank[b]! || a - b);
    const id = ready.shift()!;
    order.push(id);
    for (const u of users[id]!) if (--indeg[u]! === 0) ready.push(u);
  }
  if (order.length !== nodes.length) throw new Error(`the step's program has a dependency cycle (${p.units} units)`);
  return order;
}

export interface Scheduled {
  start: number;
  dur: number;
  /** The node whose finish set this one's start (a dependency or the previous user of a resource); -1 if none. */
  boundBy: number;
}

export interface Replay {
  nodes: Scheduled[];
  stepMs: number;
  /** Communication on the critical path during which no compute runs anywhere. */
  exposedCommMs: number;
  /** Compute on the critical path. */
  computeMs: number;
  /** The largest per-unit total of transfer time. */
  commMs: number;
  criticalPath: number[];
}

/** List-schedules the graph: each node starts when its dependencies are done and its resources are free. */
export function replay(g: Graph, duration: (n: Node) => number): Replay {
  const sched: Scheduled[] = g.nodes.map(() => ({ start: 0, dur: 0, boundBy: -1 }));
  const free = new Map<string, { t: number; by: number }>();
  for (const id of g.order) {
    const n = g.nodes[id]!;
    let start = 0;
    let boundBy = -1;
    for (const d of n.deps) {
      const f = sched[d]!.start + sched[d]!.dur;
      if (f > start) [start, boundBy] = [f, d];
    }
    for (const r of n.resources) {
      const f = free.get(r);
      if (f && f.t > start) [start, boundBy] = [f.t, f.by];
    }
    const dur = Math.max(0, duration(n));
    sched[id] = { start, dur, boundBy };
    for (const r of n.resources) free.set(r, { t: start + dur, by: id });
  }
  let last = -1;
  let stepMs = 0;
  sched.forEach((s, id) => {
    if (s.start + s.dur >= stepMs) [stepMs, last] = [s.start + s.dur, id];
  });
  const criticalPath: number[] = [];
  for (let id = last; id >= 0; id = sched[id]!.boundBy) criticalPath.unshift(id);
  const computeSpans = g.nodes.filter((n) => n.kind === 'compute').map((n) => sched[n.id]!);
  let exposedCommMs = 0;
  let computeMs = 0;
  for (const id of criticalPath) {
    const s = sched[id]!;
    if (g.nodes[id]!.kind === 'compute') computeMs += s.dur;
    else exposedCommMs += uncovered(s.start, s.start + s.dur, computeSpans);
  }
  const commPerUnit = new Map<number, number>();
  g.nodes.forEach((n) => {
    if (n.kind === 'comm') commPerUnit.set(n.unit, (commPerUnit.get(n.unit) ?? 0) + sched[n.id]!.dur);
  });
  return { nodes: sched, stepMs, exposedCommMs, computeMs, commMs: Math.max(0, ...commPerUnit.values()), criticalPath };
}

/** Length of [lo, hi) not covered by any span. */
function uncovered(lo: number, hi: number, spans: Scheduled[]): number {
  const cuts = spans
    .map((s) => [Math.max(lo, s.start), Math.min(hi, s.start + s.dur)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let covered = 0;
  let at = lo;
  for (const [a, b] of cuts) {
    if (b <= at) continue;
    covered += b - Math.max(a, at);
    at = b;
  }
  return hi - lo - covered;
}
