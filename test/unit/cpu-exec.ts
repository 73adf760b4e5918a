// A CPU interpreter for programs: lowers the collectives, then runs every op of a step in the graph's order on
// Float32Arrays with the ops' own CPU semantics, so schedules can be checked for what they compute without a GPU.

import { buildGraph } from '../../src/engine/graph.ts';
import { lower, type Program } from '../../src/engine/program.ts';
import { specOf } from '../../src/ops/index.ts';

export function execOnCpu(
  p: Program,
  init: (unit: number, buf: string, data: Float32Array) => void,
  multicast = false,
): Map<string, Float32Array>[] {
  const mem = p.buffers.map((bufs, u) => {
    const m = new Map<string, Float32Array>();
    for (const [name, size] of Object.entries(bufs)) {
      const a = new Float32Array(size);
      init(u, name, a);
      m.set(name, a);
    }
    return m;
  });
  const g = buildGraph(lower(p, multicast));
  for (const id of g.order) {
    const n = g.nodes[id]!;
    if (n.kind === 'comm') {
      const src = mem[n.unit]!.get(n.send.buf)!.slice(n.send.off, n.send.off + n.send.count);
      for (const r of n.recvs) mem[r.unit]!.get(r.op.buf)!.set(src, r.op.off);
    } else if (n.kind === 'compute') {
      specOf(n.op).cpu(n.op, (name) => mem[n.unit]!.get(name)!);
    }
  }
  return mem;
}
