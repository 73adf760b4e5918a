// Replays a collective's point-to-point lowering message by message (LogGP: a message holds its sender's and its
// receivers' ports for bytes/B and arrives L later; reductions free), so tests can hold the closed forms to it.

import { buildGraph } from '../../src/engine/graph.ts';
import { lower, ProgramBuilder, type CollectiveOp } from '../../src/engine/program.ts';
import { schedule } from '../../src/engine/replay.ts';
import { scratchFloats, partsOf } from '../../src/collectives/index.ts';
import type { PairCost } from '../../src/model/collective-cost.ts';

/** A program holding just `c` among `units` units, every member with its buffers. */
export function alone(units: number, c: Omit<CollectiveOp, 'kind' | 'id'>): { op: CollectiveOp; builder: ProgramBuilder } {
  const b = new ProgramBuilder(units);
  for (const u of c.group) {
    b.program.buffers[u] = { [c.buf]: c.off + c.count, scratch: scratchFloats(c.algorithm, c) };
    if (c.src) b.program.buffers[u]![c.src.buf] = c.src.off + c.count;
  }
  b.collective(c);
  const op = b.program.ops[c.group[0]!]![0] as CollectiveOp;
  return { op, builder: b };
}

/** The lowered collective's time, message by message, in µs. */
export function messageLevelUs(
  units: number,
  c: Omit<CollectiveOp, 'kind' | 'id'>,
  elemBytes: number,
  pair: PairCost,
  multicast = false,
): number {
  const { builder } = alone(units, c);
  const g = buildGraph(lower(builder.program, multicast));
  void partsOf;
  return schedule(g, (n) => {
    if (n.kind !== 'comm') return { dur: 0, resources: [] };
    const hops = n.recvs.map((r) => pair(n.unit, r.unit));
    const B = Math.min(...hops.map((h) => h.B));
    const L = Math.max(...hops.map((h) => h.L));
    const occ = (n.send.count * elemBytes) / (B * 1e3);
    return { dur: occ + L, hold: occ, resources: [`tx${n.unit}|${hops[0]!.cls}`, ...n.recvs.map((r, i) => `rx${r.unit}|${hops[i]!.cls}`)] };
  }).step;
}
