// A plan bound to workers: the logical program lowered to point-to-point ops, buffers allocated and filled, one
// step run on every worker, kernels timed alone, outputs verified, and the allocation ledger read back.

import type { ExecEvent, ExecOp } from './exec.ts';
import { buildGraph, type Graph } from './graph.ts';
import type { Pool } from './pool.ts';
import { isCompute, lower, signature, type ComputeOp, type Op, type Program } from './program.ts';
import type { RunRecord } from './result.ts';
import { checkBlock, emptyCheck, type Check, type Reference } from './verify.ts';
import type { Inputs } from './inputs.ts';
import type { Placement, Plan, Style } from '../workloads/plan.ts';

export { Inputs } from './inputs.ts';

export function block(src: Float32Array, ld: number, r0: number, c0: number, rows: number, cols: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) out.set(src.subarray((r0 + r) * ld + c0, (r0 + r) * ld + c0 + cols), r * cols);
  return out;
}

/** A plan bound to workers: where each unit's buffers live, the op lists each worker runs, and both graphs. */
export interface Deployment {
  plan: Plan;
  /** The lowered program the workers run, and its graph (execution order, measured timelines). */
  lowered: Program;
  graph: Graph;
  /** The graph of the logical program (the emulated and target replays). */
  logical: Graph;
  /** For each node of the lowered graph, the logical node it belongs to. */
  toLogical: number[];
  style: Style;
  pool: Pool;
  /** Worker index and buffer name prefix of each unit. */
  where(unit: number): { worker: number; prefix: string };
  lists: ExecOp[][];
}

/** Maps the lowered graph's nodes to the logical graph's: compute ops are shared, the rest by collective id. */
function logicalOf(graph: Graph, logical: Graph): number[] {
  const byOp = new Map<object, number>();
  const byColl = new Map<number, number>();
  for (const n of logical.nodes) {
    if (n.kind === 'compute') byOp.set(n.op, n.id);
    else if (n.kind === 'collective') byColl.set(n.op.id, n.id);
  }
  return graph.nodes.map((n) => {
    if (n.kind === 'compute') return byOp.get(n.op) ?? byColl.get((n.op as { coll?: number }).coll ?? -1) ?? -1;
    if (n.kind === 'comm') return byColl.get(n.send.coll ?? -1) ?? -1;
    return -1;
  });
}

export function deploy(plan: Plan, pool: Pool): Deployment {
  const style = plan.layout.style;
  const lowered = lower(plan.program, plan.layout.multicast);
  const graph = buildGraph(lowered);
  const logical = buildGraph(plan.program);
  const where = style === 'wafer' ? (u: number) => ({ worker: 0, prefix: `${u}/` }) : (u: number) => ({ worker: u, prefix: '' });
  let lists: ExecOp[][];
  if (style === 'wafer') {
    // One device: every unit's ops in one topological order; a transfer becomes an on-device (fabric) copy.
    const list: ExecOp[] = graph.order.map((id) => {
      const n = graph.nodes[id]!;
      const pre = `${n.unit}/`;
      if (n.kind === 'compute') return { ...prefixOp(n.op, pre), node: id };
      if (n.kind !== 'comm') throw new Error('a lowered program has no collectives');
      return {
        kind: 'fabric',
        src: pre + n.send.buf,
        off: n.send.off,
        dsts: n.recvs.map((r) => ({ buf: `${r.unit}/${r.op.buf}`, off: r.op.off })),
        count: n.send.count,
        label: n.send.label,
        node: id,
      };
    });
    lists = [list];
  } else {
    const nodeOf = new Map<object, number>();
    graph.nodes.forEach((n) => {
      if (n.kind === 'compute') nodeOf.set(n.op, n.id);
      else if (n.kind === 'comm') {
        nodeOf.set(n.send, n.id);
        n.recvs.forEach((r) => nodeOf.set(r.op, n.id));
      }
    });
    lists = lowered.ops.map((ops) => ops.map((op: Op) => ({ ...(op as Exclude<Op, { kind: 'collective' }>), node: nodeOf.get(op)! })));
  }
  return { plan, lowered, graph, logical, toLogical: logicalOf(graph, logical), style, pool, where, lists };
}

function prefixOp(op: ComputeOp, pre: string): ComputeOp {
  switch (op.kind) {
    case 'matmul':
      return { ...op, a: pre + op.a, b: pre + op.b, c: pre + op.c };
    case 'gelu':
      return { ...op, buf: pre + op.buf };
    case 'add':
    case 'copy':
      return { ...op, dst: pre + op.dst, src: pre + op.src };
    case 'rmsnorm':
      return { ...op, x: pre + op.x, w: pre + op.w, y: pre + op.y };
    case 'swiglu':
      return { ...op, gate: pre + op.gate, up: pre + op.up, out: pre + op.out };
    case 'attention':
      return { ...op, q: pre + op.q, k: pre + op.k, v: pre + op.v, out: pre + op.out };
  }
}

/** Allocates every unit's buffers, then fills each input placement (`put` uploads it or has the worker make it). */
export async function allocate(d: Deployment, put: (p: Placement, buf: string, worker: number) => Promise<void>): Promise<void> {
  const perWorker = d.pool.members.map(() => ({}) as Record<string, number>);
  d.plan.program.buffers.forEach((bufs, u) => {
    const w = d.where(u);
    for (const [name, floats] of Object.entries(bufs)) perWorker[w.worker]![w.prefix + name] = floats;
  });
  await d.pool.all('allocating buffers', (api, i) => api.alloc(perWorker[i]!));
  for (const p of d.plan.inputs) {
    const w = d.where(p.unit);
    await put(p, w.prefix + p.buf, w.worker);
  }
}

/** Uploads a placement's block of a seeded input matrix. */
export function uploader(d: Deployment, inputs: Inputs) {
  return async (p: Placement, buf: string, worker: number): Promise<void> => {
    const [rows, cols] = d.plan.matrices[p.matrix]!;
    const data = block(await inputs.get(p.matrix, rows, cols), cols, p.r0, p.c0, p.rows, p.cols);
    await d.pool.call(worker, 'uploading inputs', (api) => api.upload(buf, p.off, data));
  };
}

/** One step on every worker at once; events come back tagged with the unit they ran for. */
export async function step(d: Deployment): Promise<{ wallMs: number; t0: number; events: (ExecEvent & { unit: number })[] }> {
  const t0 = performance.timeOrigin + performance.now();
  const per = await d.pool.all('running a step', (api, i) => api.run(d.lists[i]!));
  const wallMs = performance.timeOrigin + performance.now() - t0;
  const events = per.flatMap((evs, i) => evs.map((e) => ({ ...e, unit: d.style === 'wafer' ? d.graph.nodes[e.node]!.unit : i })));
  return { wallMs, t0, events };
}

/** Times every distinct compute op of the logical program alone (one worker at a time), `samples` times. */
export async function calibrate(d: Deployment, samples: number): Promise<Map<string, number[]>> {
  const bySig = new Map<string, { worker: number; op: ExecOp }>();
  d.lists.forEach((list, worker) => {
    for (const op of list) {
      if (!isCompute(op as Op) || (op as { coll?: number }).coll !== undefined) continue;
      const sig = signature(op as ComputeOp);
      if (!bySig.has(sig)) bySig.set(sig, { worker, op });
    }
  });
  const out = new Map<string, number[]>();
  for (let w = 0; w < d.pool.size; w++) {
    const mine = [...bySig].filter(([, v]) => v.worker === w);
    if (!mine.length) continue;
    const times = await d.pool.call(w, 'timing kernels alone', (api) =>
      api.calibrate(
        mine.map(([, v]) => v.op),
        samples,
      ),
    );
    mine.forEach(([sig], i) => out.set(sig, times[i]!));
  }
  return out;
}

export async function verify(d: Deployment, ref: Reference): Promise<Check> {
  const check = emptyCheck();
  for (const p of d.plan.outputs) {
    const w = d.where(p.unit);
    const got = await d.pool.call(w.worker, 'reading results', (api) => api.download(w.prefix + p.buf, p.off, p.rows * p.cols));
    checkBlock(got, p, ref, check);
  }
  return check;
}

/** Pairs of units that exchange messages in the lowered program. */
export function commPairs(d: Deployment): [number, number][] {
  const out: [number, number][] = [];
  for (const n of d.graph.nodes) if (n.kind === 'comm') for (const r of n.recvs) out.push([n.unit, r.unit]);
  return out;
}

/** GPU memory the workers hold at the end of a run, then what is left after freeing it (must be nothing). */
export async function readLedger(pool: Pool): Promise<RunRecord['ledger']> {
  const held = await pool.all('reading the allocation ledger', (api) => api.ledger());
  await pool.all('freeing buffers', (api) => api.freeAll());
  const left = await pool.all('reading the allocation ledger', (api) => api.ledger());
  const sum = (xs: { buffers: number; bytes: number }[]) =>
    xs.reduce((a, x) => ({ buffers: a.buffers + x.buffers, bytes: a.bytes + x.bytes }), { buffers: 0, bytes: 0 });
  return { held: sum(held), leftAfterFree: sum(left), workers: pool.size };
}
