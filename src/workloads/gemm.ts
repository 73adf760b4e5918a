// GEMM, C = A·B (M×K by K×N). Wafer: SUMMA on the tile mesh (panel multicasts along rows and columns). Cluster:
// K split (partial C on every shard, then a reduce-scatter or all-reduce), A by rows (B replicated: no
// communication), or SUMMA on a device grid (panel broadcasts). Both sides end with C as `output` says.

import { chunks, scratchFloats } from '../collectives/index.ts';
import type { Config, Grid, Strategy } from '../config/params.ts';
import { matmulOp } from '../ops/index.ts';
import { ProgramBuilder, type Program } from '../engine/program.ts';
import { gemmReference } from '../engine/verify.ts';
import { finish, gatherBlocks, lcm, meshRing, type Layout, type Placement, type Plan } from './plan.ts';
import type { WorkloadSpec } from './workload.ts';

const matrices = (m: number, n: number, k: number): Record<string, [number, number]> => ({ A: [m, k], B: [k, n], C: [m, n] });

/** The checked plan of C = A·B (m×k by k×n). */
const gemmPlan = (p: Program, m: number, n: number, k: number, r: Pick<Plan, 'inputs' | 'outputs' | 'layout' | 'describe'>): Plan =>
  finish(p, {
    matrices: matrices(m, n, k),
    inputs: r.inputs,
    outputs: r.outputs,
    result: 'C',
    flops: 2 * m * n * k,
    layout: r.layout,
    describe: r.describe,
  });

/** C's blocks gathered into a block-major Cg on every unit of `group` (output=replicated). */
const gatherC = (b: ProgramBuilder, group: number[], outputs: Placement[], layout: Layout): Placement[] =>
  gatherBlocks(b, group, outputs, { buf: 'Cg', algorithm: layout.collective, label: 'all-gather C', copyLabel: 'all-gather C: own block' });

/**
 * SUMMA on an R×C mesh: K is cut into lcm(R, C) panels; unit (i, j) owns the A panels s ≡ j (mod C) of its row
 * block and the B panels s ≡ i (mod R) of its column block. At step s the owners broadcast along rows (A) and
 * columns (B) — one multicast on the wafer's fabric, NCCL's ring broadcast on a cluster — then every unit
 * accumulates.
 */
export function summaPlan(m: number, n: number, k: number, layout: Layout): Plan {
  const g: Grid = layout.mesh;
  const { rows: R, cols: C } = g;
  const L = lcm(R, C);
  const rowsOf = chunks(m, R);
  const colsOf = chunks(n, C);
  const panels = chunks(k, L);
  const maxKb = Math.max(...panels.map((p) => p.count));
  const b = new ProgramBuilder(R * C);
  const p = b.program;
  const inputs: Placement[] = [];
  let outputs: Placement[] = [];
  const aOff = new Map<string, number>();
  const bOff = new Map<string, number>();
  for (let i = 0; i < R; i++) {
    for (let j = 0; j < C; j++) {
      const u = i * C + j;
      const mi = rowsOf[i]!.count;
      const nj = colsOf[j]!.count;
      let ao = 0;
      let bo = 0;
      panels.forEach((pn, s) => {
        if (s % C === j) {
          aOff.set(`${u}:${s}`, ao);
          inputs.push({ unit: u, buf: 'A', off: ao, matrix: 'A', r0: rowsOf[i]!.off, c0: pn.off, rows: mi, cols: pn.count });
          ao += mi * pn.count;
        }
        if (s % R === i) {
          bOff.set(`${u}:${s}`, bo);
          inputs.push({ unit: u, buf: 'B', off: bo, matrix: 'B', r0: pn.off, c0: colsOf[j]!.off, rows: pn.count, cols: nj });
          bo += pn.count * nj;
        }
      });
      p.buffers[u] = {
        A: Math.max(ao, 1),
        B: Math.max(bo, 1),
        C: mi * nj,
        Ap0: mi * maxKb,
        Ap1: mi * maxKb,
        Bp0: maxKb * nj,
        Bp1: maxKb * nj,
      };
      outputs.push({ unit: u, buf: 'C', off: 0, matrix: 'C', r0: rowsOf[i]!.off, c0: colsOf[j]!.off, rows: mi, cols: nj });
    }
  }
  panels.forEach((pn, s) => {
    const ja = s % C;
    const ib = s % R;
    for (let i = 0; i < R; i++) {
      const root = i * C + ja;
      b.collective({
        op: 'broadcast',
        algorithm: 'ring',
        group: Array.from({ length: C }, (_, j) => i * C + j),
        root,
        src: { buf: 'A', off: aOff.get(`${root}:${s}`)! },
        buf: `Ap${s % 2}`,
        off: 0,
        count: rowsOf[i]!.count * pn.count,
        label: `A panel ${s + 1}/${L} along row ${i}`,
      });
    }
    for (let j = 0; j < C; j++) {
      const root = ib * C + j;
      b.collective({
        op: 'broadcast',
        algorithm: 'ring',
        group: Array.from({ length: R }, (_, i) => i * C + j),
        root,
        src: { buf: 'B', off: bOff.get(`${root}:${s}`)! },
        buf: `Bp${s % 2}`,
        off: 0,
        count: pn.count * colsOf[j]!.count,
        label: `B panel ${s + 1}/${L} along column ${j}`,
      });
    }
    for (let i = 0; i < R; i++) {
      for (let j = 0; j < C; j++) {
        const u = i * C + j;
        const a = j === ja ? { buf: 'A', off: aOff.get(`${u}:${s}`)! } : { buf: `Ap${s % 2}`, off: 0 };
        const bb = i === ib ? { buf: 'B', off: bOff.get(`${u}:${s}`)! } : { buf: `Bp${s % 2}`, off: 0 };
        b.push(u, matmulOp(a, bb, 'C', [rowsOf[i]!.count, colsOf[j]!.count, pn.count], `matmul panel ${s + 1}/${L}`, s > 0));
      }
    }
  });
  if (layout.output === 'replicated') {
    const group = layout.multicast ? meshRing(g) : [...Array(R * C).keys()];
    outputs = gatherC(b, group, outputs, layout);
  }
  const where = layout.style === 'wafer' ? 'tiles' : 'device grid';
  return gemmPlan(p, m, n, k, {
    inputs,
    outputs,
    layout,
    describe: `SUMMA on a ${R}x${C} ${where}, ${L} panel steps${layout.output === 'replicated' ? ', then C gathered on every unit' : ''}`,
  });
}

/** K split across shards: partial C on every shard, then a reduce-scatter (C by rows) or an all-reduce of C. */
export function ksplitPlan(m: number, n: number, k: number, layout: Layout): Plan {
  const shards = layout.units;
  const b = new ProgramBuilder(shards);
  const p = b.program;
  const ks = chunks(k, shards);
  const ms = chunks(m, shards);
  const rowParts = ms.map((x) => ({ off: x.off * n, count: x.count * n }));
  const sharded = layout.output === 'sharded';
  const coll = { group: [...Array(shards).keys()], count: m * n, ...(sharded ? { parts: rowParts } : {}) };
  const scratch = scratchFloats(layout.collective, coll);
  const inputs: Placement[] = [];
  const outputs: Placement[] = [];
  for (let r = 0; r < shards; r++) {
    const kr = ks[r]!;
    p.buffers[r] = { A: m * kr.count, B: kr.count * n, C: m * n, scratch };
    inputs.push({ unit: r, buf: 'A', off: 0, matrix: 'A', r0: 0, c0: kr.off, rows: m, cols: kr.count });
    inputs.push({ unit: r, buf: 'B', off: 0, matrix: 'B', r0: kr.off, c0: 0, rows: kr.count, cols: n });
    const mr = ms[r]!;
    if (sharded) outputs.push({ unit: r, buf: 'C', off: rowParts[r]!.off, matrix: 'C', r0: mr.off, c0: 0, rows: mr.count, cols: n });
    else outputs.push({ unit: r, buf: 'C', off: 0, matrix: 'C', r0: 0, c0: 0, rows: m, cols: n });
    b.push(r, matmulOp('A', 'B', 'C', [m, n, kr.count], 'matmul (K slice)'));
  }
  b.collective({
    op: sharded ? 'reducescatter' : 'allreduce',
    algorithm: layout.collective,
    ...coll,
    buf: 'C',
    off: 0,
    scratch: 'scratch',
    label: sharded ? 'reduce-scatter C' : 'all-reduce C',
  });
  return gemmPlan(p, m, n, k, {
    inputs,
    outputs,
    layout,
    describe: `K split over ${shards} shards, ${layout.collective} ${sharded ? 'reduce-scatter' : 'all-reduce'} of C`,
  });
}

/** A split by rows with B replicated on every shard (placed there before the step; its memory is counted). */
export function rowsPlan(m: number, n: number, k: number, layout: Layout): Plan {
  const shards = layout.units;
  const b = new ProgramBuilder(shards);
  const p = b.program;
  const ms = chunks(m, shards);
  const inputs: Placement[] = [];
  let outputs: Placement[] = [];
  for (let r = 0; r < shards; r++) {
    const mr = ms[r]!;
    p.buffers[r] = { A: mr.count * k, B: k * n, C: mr.count * n };
    inputs.push({ unit: r, buf: 'A', off: 0, matrix: 'A', r0: mr.off, c0: 0, rows: mr.count, cols: k });
    inputs.push({ unit: r, buf: 'B', off: 0, matrix: 'B', r0: 0, c0: 0, rows: k, cols: n });
    outputs.push({ unit: r, buf: 'C', off: 0, matrix: 'C', r0: mr.off, c0: 0, rows: mr.count, cols: n });
    b.push(r, matmulOp('A', 'B', 'C', [mr.count, n, k], 'matmul (row block)'));
  }
  if (layout.output === 'replicated') outputs = gatherC(b, [...Array(shards).keys()], outputs, layout);
  return gemmPlan(p, m, n, k, {
    inputs,
    outputs,
    layout,
    describe: `A split by rows over ${shards} shards; B replicated on every shard before the step (not charged as traffic; its memory is)${layout.output === 'replicated' ? '; C gathered on every shard' : ''}`,
  });
}

function strategyOf(c: Config, layout: Layout): Strategy | 'wafer-summa' {
  return layout.style === 'wafer' ? 'wafer-summa' : c.strategy;
}

export const gemm: WorkloadSpec = {
  name: 'gemm',
  label: 'GEMM',
  kind: 'step',
  params: ['m', 'n', 'k', 'strategy', 'grid', 'output'],
  problem(c, layout) {
    const s = strategyOf(c, layout);
    const g = layout.mesh;
    const n = layout.units;
    if (s === 'wafer-summa' || s === 'summa') {
      const L = lcm(g.rows, g.cols);
      const what = s === 'wafer-summa' ? `tiles=${g.rows}x${g.cols}` : `grid=${g.rows}x${g.cols}`;
      if (c.m < g.rows || c.n < g.cols || c.k < L)
        return `${what} needs m ≥ ${g.rows}, n ≥ ${g.cols} and k ≥ ${L} (one panel per step); got m=${c.m}, n=${c.n}, k=${c.k}`;
    } else if (s === 'ksplit') {
      if (c.k < n) return `strategy=ksplit over ${n} shards needs k ≥ ${n}; got k=${c.k}`;
      if (c.output === 'sharded' && c.m < n)
        return `strategy=ksplit with output=sharded over ${n} shards needs m ≥ ${n} (C is split by rows); got m=${c.m}`;
    } else if (s === 'rows' && c.m < n) return `strategy=rows over ${n} shards needs m ≥ ${n}; got m=${c.m}`;
    return null;
  },
  plan(c, layout) {
    const s = strategyOf(c, layout);
    if (s === 'rows') return rowsPlan(c.m, c.n, c.k, layout);
    if (s === 'ksplit') return ksplitPlan(c.m, c.n, c.k, layout);
    return summaPlan(c.m, c.n, c.k, layout);
  },
  strategy: (c, layout) => (layout.style === 'wafer' ? 'summa' : c.strategy),
  async reference(c, plan, inputs) {
    return gemmReference(await inputs.get('A', c.m, c.k), await inputs.get('B', c.k, c.n), c.m, c.n, c.k, plan.layout.units);
  },
  atSize: (c, size) => ({ ...c, m: size, n: size, k: size }),
  size: (c) => Math.max(c.m, c.n, c.k),
  sizeLabel: 'm = n = k',
};
