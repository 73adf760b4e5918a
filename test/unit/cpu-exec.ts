// A CPU interpreter for programs: runs every op of a step in the graph's order on Float32Arrays, so schedules can
// be checked for what they compute without a GPU.

import { buildGraph, clusterResources } from '../../src/engine/graph.ts';
import type { Program } from '../../src/engine/program.ts';

export function execOnCpu(p: Program, init: (unit: number, buf: string, data: Float32Array) => void): Map<string, Float32Array>[] {
  const mem = p.buffers.map((bufs, u) => {
    const m = new Map<string, Float32Array>();
    for (const [name, size] of Object.entries(bufs)) {
      const a = new Float32Array(size);
      init(u, name, a);
      m.set(name, a);
    }
    return m;
  });
  const g = buildGraph(p, clusterResources);
  for (const id of g.order) {
    const n = g.nodes[id]!;
    const m = mem[n.unit]!;
    if (n.kind === 'comm') {
      const src = mem[n.unit]!.get(n.send.buf)!.slice(n.send.off, n.send.off + n.send.count);
      for (const r of n.recvs) mem[r.unit]!.get(r.op.buf)!.set(src, r.op.off);
      continue;
    }
    const op = n.op;
    if (op.kind === 'matmul') {
      const a = m.get(op.a)!;
      const b = m.get(op.b)!;
      const c = m.get(op.c)!;
      for (let i = 0; i < op.m; i++)
        for (let j = 0; j < op.n; j++) {
          let s = op.accumulate ? c[op.offC + i * op.n + j]! : 0;
          for (let k = 0; k < op.k; k++) s += a[op.offA + i * op.k + k]! * b[op.offB + k * op.n + j]!;
          c[op.offC + i * op.n + j] = s;
        }
    } else if (op.kind === 'add') {
      const d = m.get(op.dst)!;
      const s = m.get(op.src)!;
      for (let i = 0; i < op.count; i++) d[op.offDst + i]! += s[op.offSrc + i]!;
    } else if (op.kind === 'copy') {
      m.get(op.dst)!.set(m.get(op.src)!.subarray(op.offSrc, op.offSrc + op.count), op.offDst);
    } else if (op.kind === 'gelu') {
      const d = m.get(op.buf)!;
      for (let i = 0; i < op.count; i++) {
        const x = d[op.off + i]!;
        d[op.off + i] = 0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
      }
    }
  }
  return mem;
}
