// The nccl-tests style all-reduce sweep: per message size an out-of-place all-reduce (input V copied to output O,
// reduced in O) across the shards (cluster) or around a ring of tiles that joins neighbours (wafer).

import { chunks, scratchFloats } from '../collectives/index.ts';
import type { Config } from '../config/params.ts';
import { ProgramBuilder } from '../engine/program.ts';
import { finish, lineRing, meshRing, type Layout, type Placement, type Plan } from './plan.ts';
import type { WorkloadSpec } from './workload.ts';

/** The message sizes of a sweep, bytes (multiples of 4). */
export function sweepSizes(c: Pick<Config, 'minBytes' | 'maxBytes' | 'factor'>): number[] {
  const out: number[] = [];
  for (let s = c.minBytes; s <= c.maxBytes; s *= c.factor) out.push(Math.max(4, Math.floor(s / 4) * 4));
  return out;
}

/**
 * An all-reduce over an R×C mesh of tiles in two dimensions: a reduce-scatter along every row (folded rings whose
 * edges span at most two tiles), a reduce-scatter of each tile's part down its column, then the all-gathers back.
 * It crosses each mesh line twice instead of walking one ring through every tile: 2(R−1) + 2(C−1) ring steps,
 * not 2(RC−1).
 */
function meshAllReduce(b: ProgramBuilder, g: { rows: number; cols: number }, buf: string, count: number, label: string): void {
  const { rows: R, cols: C } = g;
  const rowRing = lineRing(C);
  const colRing = lineRing(R);
  const rowParts = chunks(count, C);
  // Ring position q of every row holds row part q after the row reduce-scatter.
  const partOf = (j: number) => rowParts[rowRing.indexOf(j)]!;
  const rows = (op: 'reducescatter' | 'allgather') => {
    for (let i = 0; i < R; i++)
      b.collective({
        op,
        algorithm: 'ring',
        group: rowRing.map((j) => i * C + j),
        buf,
        off: 0,
        count,
        parts: rowParts,
        scratch: 'scratch',
        label: `${label}: row ${i} ${op === 'allgather' ? 'all-gather' : 'reduce-scatter'}`,
      });
  };
  const cols = (op: 'reducescatter' | 'allgather') => {
    for (let j = 0; j < C; j++) {
      const part = partOf(j);
      b.collective({
        op,
        algorithm: 'ring',
        group: colRing.map((i) => i * C + j),
        buf,
        off: part.off,
        count: part.count,
        scratch: 'scratch',
        label: `${label}: column ${j} ${op === 'allgather' ? 'all-gather' : 'reduce-scatter'}`,
      });
    }
  };
  rows('reducescatter');
  cols('reducescatter');
  cols('allgather');
  rows('allgather');
}

/** The all-reduce of `count` elements; out of place (V copied to O first) as nccl-tests times it, or just the collective. */
export function allReducePlan(count: number, layout: Layout, outOfPlace = true): Plan {
  const units = layout.units;
  const b = new ProgramBuilder(units);
  const p = b.program;
  const g = layout.mesh;
  const twoD = layout.multicast && g.rows > 1 && g.cols > 1;
  const group = layout.multicast ? meshRing(layout.mesh) : [...Array(units).keys()];
  const scratch = twoD
    ? Math.max(
        scratchFloats('ring', { group: lineRing(g.cols), count }),
        scratchFloats('ring', { group: lineRing(g.rows), count: Math.ceil(count / g.cols) }),
      )
    : scratchFloats(layout.collective, { group, count });
  const inputs: Placement[] = [];
  const outputs: Placement[] = [];
  for (let r = 0; r < units; r++) {
    p.buffers[r] = { V: count, O: count, scratch };
    inputs.push({ unit: r, buf: 'V', off: 0, matrix: `V.${r}`, r0: 0, c0: 0, rows: 1, cols: count });
    outputs.push({ unit: r, buf: 'O', off: 0, matrix: 'S', r0: 0, c0: 0, rows: 1, cols: count });
    if (outOfPlace) b.push(r, { kind: 'copy', dst: 'O', offDst: 0, src: 'V', offSrc: 0, count, label: 'copy input to output' });
  }
  if (twoD) meshAllReduce(b, g, 'O', count, 'all-reduce');
  else
    b.collective({
      op: 'allreduce',
      algorithm: layout.collective,
      group,
      buf: 'O',
      off: 0,
      count,
      scratch: 'scratch',
      label: 'all-reduce',
    });
  const matrices: Record<string, [number, number]> = { S: [1, count] };
  for (let r = 0; r < units; r++) matrices[`V.${r}`] = [1, count];
  return finish(p, {
    matrices,
    inputs,
    outputs,
    result: 'S',
    flops: 0,
    layout,
    describe: `${twoD ? '2D ring (rows, then columns)' : layout.collective} all-reduce of ${count * 4} bytes (f32 here) over ${units} ${layout.style === 'wafer' ? 'tiles' : 'shards'}`,
  });
}

export const allreduce: WorkloadSpec = {
  name: 'allreduce',
  label: 'All-reduce sweep (nccl-tests)',
  kind: 'sweep',
  params: ['minBytes', 'maxBytes', 'factor', 'collective'],
  problem: () => null,
  plan: (c, layout) => allReducePlan(Math.floor(c.maxBytes / 4), layout),
  strategy: () => 'allreduce',
  atSize: (c, size) => ({ ...c, maxBytes: size, minBytes: Math.min(c.minBytes, size) }),
  size: (c) => c.maxBytes,
  sizeLabel: 'message bytes',
};
