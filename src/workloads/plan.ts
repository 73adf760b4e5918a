// What a workload builds for one side: a Plan (the logical program, where inputs and outputs live, FLOPs), laid
// out by a Layout worked out once from the configuration: units, their mesh or grid, the all-reduce algorithm,
// and where the output must end.

import type { AlgorithmName } from '../collectives/index.ts';
import { squarest, gridOf, tilesOf, type Config, type Grid, type Output } from '../config/params.ts';
import { checkProgram, type Program, type ProgramBuilder } from '../engine/program.ts';

export type Style = 'wafer' | 'cluster';

/** Unit `unit` holds, at buf[off..], the row-major block matrix[r0 : r0+rows, c0 : c0+cols]. */
export interface Placement {
  unit: number;
  buf: string;
  off: number;
  matrix: string;
  r0: number;
  c0: number;
  rows: number;
  cols: number;
}

export interface Plan {
  /** The logical program: collectives as single ops (see engine/program.ts). */
  program: Program;
  /** Global matrices by name: [rows, cols]. */
  matrices: Record<string, [number, number]>;
  inputs: Placement[];
  /** Where the result lies (every copy of it is checked). */
  outputs: Placement[];
  /** The name of the result matrix for the reference. */
  result: string;
  /** Useful FLOPs of one step (a multiply-add counts 2; redundant work not counted). */
  flops: number;
  layout: Layout;
  describe: string;
  /** The program is one micro-batch of a pipeline that streams `microbatches` of them (see project.ts). */
  pipeline?: Pipeline;
}

/**
 * A step made of m micro-batches streamed through a pipeline, of which the program holds one. Steady (decode served
 * continuously): the step is max(one pass, m × the busiest resource's time). Filled and drained (prefill): one
 * pass + (m − 1) × the busiest resource's time.
 */
export interface Pipeline {
  microbatches: number;
  steady: boolean;
  note: string;
}

export interface Layout {
  style: Style;
  units: number;
  /** wafer: the tile mesh; cluster: the device grid (strategy=summa). */
  mesh: Grid;
  /** The all-reduce algorithm: the configured one on a cluster; rings on the wafer's mesh. */
  collective: AlgorithmName;
  /** The fabric replicates a message to several receivers (the wafer). */
  multicast: boolean;
  output: Output;
  /** Wafer systems (units = wafers × mesh tiles); 1 when absent. */
  wafers?: number;
  /** Tiles the embedding table and the LM head are each split over (a model on the wafer); 1 when absent. */
  vocabSlices?: number;
}

/** The layout of one side; `units` overrides the configured count (sweeps, and the `equal` rule). */
export function layoutOf(c: Config, style: Style, units?: number): Layout {
  const mesh = units !== undefined ? squarest(units) : style === 'wafer' ? tilesOf(c) : gridOf(c);
  const n = units ?? (style === 'wafer' ? mesh.rows * mesh.cols : c.shards);
  return {
    style,
    units: n,
    mesh,
    collective: style === 'wafer' ? 'ring' : c.collective,
    multicast: style === 'wafer',
    output: c.output,
  };
}

export const lcm = (a: number, b: number): number => {
  const gcd = (x: number, y: number): number => (y ? gcd(y, x % y) : x);
  return (a * b) / gcd(a, b);
};

/** A ring over n units in a line whose every edge spans at most two units: 0, 2, 4, …, 5, 3, 1. */
export function lineRing(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i += 2) out.push(i);
  for (let i = n % 2 ? n - 2 : n - 1; i > 0; i -= 2) out.push(i);
  return out;
}

/**
 * A ring through every tile of an R×C mesh whose edges join neighbours: along row 0, serpentine back through
 * columns 1…C−1, and home down column 0 (R even; transposed when only C is even). With R and C both odd no such
 * cycle exists; the serpentine's closing edge then spans the mesh.
 */
export function meshRing(g: Grid): number[] {
  const { rows: R, cols: C } = g;
  if (R === 1) return lineRing(C);
  if (C === 1) return lineRing(R).map((i) => i * C);
  const at = (i: number, j: number) => i * C + j;
  if (R % 2 === 0 || C % 2 === 0) {
    const transposed = R % 2 !== 0;
    const [r, c] = transposed ? [C, R] : [R, C];
    const cell = (i: number, j: number) => (transposed ? at(j, i) : at(i, j));
    const out = [cell(0, 0)];
    for (let i = 0; i < r; i++) for (let j = 1; j < c; j++) out.push(cell(i, i % 2 ? c - j : j));
    for (let i = r - 1; i >= 1; i--) out.push(cell(i, 0));
    return out;
  }
  const out: number[] = [];
  for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) out.push(at(i, i % 2 ? C - 1 - j : j));
  return out;
}

/** How gatherBlocks names what it writes: the gather buffer, its all-gather, and the copy of a unit's own block. */
export interface Gather {
  buf: string;
  algorithm: AlgorithmName;
  label: string;
  copyLabel: string;
}

/**
 * Gathers every unit's block (`blocks`, one per unit of `group`) into a block-major buffer `g.buf` on every unit of
 * the group: each unit copies its block into its slot, then an all-gather over the group fills the rest.
 */
export function gatherBlocks(b: ProgramBuilder, group: number[], blocks: Placement[], g: Gather): Placement[] {
  const byUnit = new Map(blocks.map((x) => [x.unit, x]));
  const parts: { off: number; count: number }[] = [];
  let off = 0;
  for (const u of group) {
    const x = byUnit.get(u)!;
    parts.push({ off, count: x.rows * x.cols });
    off += x.rows * x.cols;
  }
  for (const [i, u] of group.entries()) {
    b.program.buffers[u]![g.buf] = off;
    b.push(u, {
      kind: 'copy',
      dst: g.buf,
      offDst: parts[i]!.off,
      src: byUnit.get(u)!.buf,
      offSrc: 0,
      count: parts[i]!.count,
      label: g.copyLabel,
    });
  }
  b.collective({ op: 'allgather', algorithm: g.algorithm, group, buf: g.buf, off: 0, count: off, parts, label: g.label });
  return group.flatMap((u) => group.map((v, i) => ({ ...byUnit.get(v)!, unit: u, buf: g.buf, off: parts[i]!.off })));
}

/** A checked plan. */
export function finish(p: Program, rest: Omit<Plan, 'program'>): Plan {
  checkProgram(p);
  return { program: p, ...rest };
}
