// The step's dependency graph: a compute node per kernel, a transfer node per send (covering all its receivers) in
// a lowered program, and a collective node per logical collective (covering all its members) in a logical one.

import { isCompute, localDeps, type CollectiveOp, type ComputeOp, type Program, type RecvOp, type SendOp } from './program.ts';
import { kFloatBytes } from './program.ts';

export interface ComputeNode {
  id: number;
  kind: 'compute';
  unit: number;
  op: ComputeOp;
  deps: number[];
}

export interface TransferNode {
  id: number;
  kind: 'comm';
  unit: number; // the sender
  send: SendOp;
  recvs: { unit: number; op: RecvOp }[];
  bytes: number;
  deps: number[];
}

export interface CollectiveNode {
  id: number;
  kind: 'collective';
  unit: number; // the first member
  op: CollectiveOp;
  deps: number[];
}

export type Node = ComputeNode | TransferNode | CollectiveNode;

export interface Graph {
  nodes: Node[];
  /** A topological order (program order where it is free). */
  order: number[];
  /** Each node's place in `order`. */
  position: number[];
  /** The nodes that depend on each node. */
  users: number[][];
}

export const isComm = (n: Node): n is TransferNode | CollectiveNode => n.kind !== 'compute';

/** The units a node runs on. */
export const unitsOf = (n: Node): number[] =>
  n.kind === 'collective' ? n.op.group : n.kind === 'comm' ? [n.unit, ...n.recvs.map((r) => r.unit)] : [n.unit];

export function buildGraph(p: Program): Graph {
  const nodes: Node[] = [];
  // opNode[u][i] → node id; sends and their recvs share the transfer node, members share a collective node.
  const opNode: number[][] = p.ops.map((ops) => ops.map(() => -1));
  const pendingRecv = new Map<string, { unit: number; index: number; op: RecvOp }[]>();
  const collectiveNode = new Map<number, number>();
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
  p.ops.forEach((ops, u) =>
    ops.forEach((op, i) => {
      if (isCompute(op)) {
        opNode[u]![i] = nodes.length;
        nodes.push({ id: nodes.length, kind: 'compute', unit: u, op, deps: [] });
      } else if (op.kind === 'collective') {
        let id = collectiveNode.get(op.id);
        if (id === undefined) {
          id = nodes.length;
          collectiveNode.set(op.id, id);
          nodes.push({ id, kind: 'collective', unit: op.group[0]!, op, deps: [] });
        }
        opNode[u]![i] = id;
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
        const node: TransferNode = { id: nodes.length, kind: 'comm', unit: u, send: op, recvs, bytes: op.count * kFloatBytes, deps: [] };
        nodes.push(node);
        opNode[u]![i] = node.id;
        for (const r of recvIdx) opNode[r.unit]![r.index] = node.id;
      }
    }),
  );
  for (const [k, rest] of pendingRecv) if (rest.length) throw new Error(`receive ${k} has no matching send`);
  // Local hazards become edges; a shared node inherits the hazards of every unit's op in it.
  const seen = nodes.map((n) => new Set(n.deps));
  p.ops.forEach((ops, u) => {
    const deps = localDeps(ops, u);
    ops.forEach((_, i) => {
      const id = opNode[u]![i]!;
      for (const j of deps[i]!) {
        const d = opNode[u]![j]!;
        if (d !== id && !seen[id]!.has(d)) {
          seen[id]!.add(d);
          nodes[id]!.deps.push(d);
        }
      }
    });
  });
  const users: number[][] = nodes.map(() => []);
  nodes.forEach((n) => n.deps.forEach((d) => users[d]!.push(n.id)));
  const order = topoOrder(nodes, users, p, opNode);
  const position = new Array<number>(nodes.length);
  order.forEach((id, i) => (position[id] = i));
  return { nodes, order, position, users };
}

/** Kahn's algorithm, preferring the node that comes first in its unit's program (ties: lower unit). */
function topoOrder(nodes: Node[], users: number[][], p: Program, opNode: number[][]): number[] {
  const rank = new Array<number>(nodes.length).fill(Infinity);
  opNode.forEach((ids) => ids.forEach((id, i) => (rank[id] = Math.min(rank[id]!, i))));
  const indeg = nodes.map((n) => n.deps.length);
  const ready = new MinHeap();
  nodes.forEach((n) => indeg[n.id] === 0 && ready.push(rank[n.id]!, n.id));
  const order: number[] = [];
  while (ready.size) {
    const id = ready.pop();
    order.push(id);
    for (const u of users[id]!) if (--indeg[u]! === 0) ready.push(rank[u]!, u);
  }
  if (order.length !== nodes.length) throw new Error(`the step's program has a dependency cycle (${p.units} units)`);
  return order;
}

/** A binary min-heap of ids keyed by a number; ties go to the lower id. */
export class MinHeap {
  private keys: number[] = [];
  private ids: number[] = [];
  get size(): number {
    return this.ids.length;
  }
  private less(i: number, j: number): boolean {
    return this.keys[i]! < this.keys[j]! || (this.keys[i] === this.keys[j] && this.ids[i]! < this.ids[j]!);
  }
  private swap(i: number, j: number): void {
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
    [this.ids[i], this.ids[j]] = [this.ids[j]!, this.ids[i]!];
  }
  push(key: number, id: number): void {
    this.keys.push(key);
    this.ids.push(id);
    for (let i = this.ids.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }
  peekKey(): number {
    return this.keys[0]!;
  }
  pop(): number {
    const top = this.ids[0]!;
    const last = this.ids.length - 1;
    this.swap(0, last);
    this.keys.pop();
    this.ids.pop();
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.ids.length && this.less(l, m)) m = l;
      if (r < this.ids.length && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }
}
