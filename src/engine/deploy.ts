// A plan bound to workers: buffers allocated and filled, one step run on every worker, kernels timed alone,
// outputs verified against the CPU reference, and the allocation ledger read back.

import { mulberry32, streamSeed } from '../config/rng.ts';
import type { Config } from '../config/params.ts';
import type { ExecEvent, ExecOp } from './exec.ts';
import { buildGraph, clusterResources, meshResources, type Graph } from './graph.ts';
import type { Pool } from './pool.ts';
import { signature, type ComputeOp } from './program.ts';
import type { RunRecord } from './result.ts';
import { checkBlock, emptyCheck, gemmReference, mlpReference, type Check, type Reference } from './verify.ts';
import type { Placement, Plan, Style } from './workloads.ts';

/** Yields to the event loop, so long loops on the page's thread never make a long task. */
const yieldNow = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** Seeded inputs, shared by both styles so they compute the same thing; made in slices between yields. */
export class Inputs {
  private readonly cache = new Map<string, Promise<Float32Array>>();
  constructor(private readonly seed: number) {}
  get(name: string, rows: number, cols: number): Promise<Float32Array> {
    let m = this.cache.get(name);
    if (!m) {
      let h = 0;
      for (const ch of name) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
      // Weights scaled by 1/√fan-in keep activations of order one through the layers.
      m = fill(rows * cols, streamSeed(this.seed, h), name.startsWith('W') ? 1 / Math.sqrt(rows) : 1);
      this.cache.set(name, m);
    }
    return m;
  }
}

/** The values of randomMatrix(count, seed, scale), made 256K at a time. */
async function fill(count: number, seed: number, scale: number): Promise<Float32Array> {
  const next = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = (next() * 2 - 1) * scale;
    if ((i & 0x3ffff) === 0x3ffff) await yieldNow();
  }
  return out;
}

export function block(src: Float32Array, ld: number, r0: number, c0: number, rows: number, cols: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) out.set(src.subarray((r0 + r) * ld + c0, (r0 + r) * ld + c0 + cols), r * cols);
  return out;
}

/** A plan bound to workers: where each unit's buffers live and the op lists each worker runs. */
export interface Deployment {
  plan: Plan;
  graph: Graph;
  style: Style;
  pool: Pool;
  /** Worker index and buffer name prefix of each unit. */
  where(unit: number): { worker: number; prefix: string };
  lists: ExecOp[][];
}

export function deploy(plan: Plan, style: Style, pool: Pool): Deployment {
  const graph = buildGraph(plan.program, plan.mesh ? meshResources(plan.mesh.cols) : clusterResources);
  const where = style === 'wafer' ? (u: number) => ({ worker: 0, prefix: `${u}/` }) : (u: number) => ({ worker: u, prefix: '' });
  let lists: ExecOp[][];
  if (style === 'wafer') {
    // One device: every unit's ops in one topological order; a transfer becomes an on-device (fabric) copy.
    const list: ExecOp[] = graph.order.map((id) => {
      const n = graph.nodes[id]!;
      const pre = `${n.unit}/`;
      if (n.kind === 'compute') return { ...prefixOp(n.op, pre), node: id };
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
      else {
        nodeOf.set(n.send, n.id);
        n.recvs.forEach((r) => nodeOf.set(r.op, n.id));
      }
    });
    lists = plan.program.ops.map((ops) => ops.map((op) => ({ ...op, node: nodeOf.get(op)! })));
  }
  return { plan, graph, style, pool, where, lists };
}

export function prefixOp(op: ComputeOp, pre: string): ComputeOp {
  switch (op.kind) {
    case 'matmul':
      return { ...op, a: pre + op.a, b: pre + op.b, c: pre + op.c };
    case 'gelu':
      return { ...op, buf: pre + op.buf };
    case 'add':
    case 'copy':
      return { ...op, dst: pre + op.dst, src: pre + op.src };
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

/** Times every distinct compute op alone (one worker at a time), `samples` times. */
export async function calibrate(d: Deployment, samples: number): Promise<Map<string, number[]>> {
  const bySig = new Map<string, { worker: number; op: ExecOp }>();
  d.lists.forEach((list, worker) => {
    for (const op of list) {
      if (op.kind === 'send' || op.kind === 'recv' || op.kind === 'fabric') continue;
      const sig = signature(op);
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

export async function reference(c: Config, plan: Plan, inputs: Inputs, units: number): Promise<Reference> {
  const [m, k] = plan.matrices.A ?? [0, 0];
  if (plan.result === 'C') {
    const n = plan.matrices.B![1];
    return gemmReference(await inputs.get('A', m, k), await inputs.get('B', k, n), m, n, k, units);
  }
  const F = 4 * c.hidden;
  const W1 = await Promise.all(Array.from({ length: c.layers }, (_, l) => inputs.get(`W1.${l}`, c.hidden, F)));
  const W2 = await Promise.all(Array.from({ length: c.layers }, (_, l) => inputs.get(`W2.${l}`, F, c.hidden)));
  return mlpReference(await inputs.get('X', c.tokens, c.hidden), W1, W2, c.tokens, c.hidden, units);
}

export function commPairs(plan: Plan): [number, number][] {
  const out: [number, number][] = [];
  plan.program.ops.forEach((ops, u) => ops.forEach((op) => op.kind === 'send' && op.to.forEach((t) => out.push([u, t]))));
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
