// The nccl-tests style all-reduce sweep: per message size an out-of-place all-reduce (input V copied to output O,
// reduced in O) across the shards (cluster) or around a ring of tiles that joins neighbours (wafer).

import { scratchFloats } from '../collectives/index.ts';
import type { Config } from '../config/params.ts';
import { ProgramBuilder } from '../engine/program.ts';
import { finish, meshRing, type Layout, type Placement, type Plan } from './plan.ts';
import type { WorkloadSpec } from './workload.ts';

/** The message sizes of a sweep, bytes (multiples of 4). */
export function sweepSizes(c: Pick<Config, 'minBytes' | 'maxBytes' | 'factor'>): number[] {
  const out: number[] = [];
  for (let s = c.minBytes; s <= c.maxBytes; s *= c.factor) out.push(Math.max(4, Math.floor(s / 4) * 4));
  return out;
}

export function allReducePlan(count: number, layout: Layout): Plan {
  const units = layout.units;
  const b = new ProgramBuilder(units);
  const p = b.program;
  const group = layout.multicast ? meshRing(layout.mesh) : [...Array(units).keys()];
  const scratch = scratchFloats(layout.collective, { group, count });
  const inputs: Placement[] = [];
  const outputs: Placement[] = [];
  for (let r = 0; r < units; r++) {
    p.buffers[r] = { V: count, O: count, scratch };
    inputs.push({ unit: r, buf: 'V', off: 0, matrix: `V.${r}`, r0: 0, c0: 0, rows: 1, cols: count });
    outputs.push({ unit: r, buf: 'O', off: 0, matrix: 'S', r0: 0, c0: 0, rows: 1, cols: count });
    b.push(r, { kind: 'copy', dst: 'O', offDst: 0, src: 'V', offSrc: 0, count, label: 'copy input to output' });
  }
  b.collective({ op: 'allreduce', algorithm: layout.collective, group, buf: 'O', off: 0, count, scratch: 'scratch', label: 'all-reduce' });
  const matrices: Record<string, [number, number]> = { S: [1, count] };
  for (let r = 0; r < units; r++) matrices[`V.${r}`] = [1, count];
  return finish(p, {
    matrices,
    inputs,
    outputs,
    result: 'S',
    flops: 0,
    layout,
    describe: `${layout.collective} all-reduce of ${count * 4} bytes (f32 here) over ${units} ${layout.style === 'wafer' ? 'tiles' : 'shards'}`,
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
