// Collective schedules: bytes each rank sends match collectives.md exactly, step counts, the sums are right, and
// reduce-scatter leaves position i holding part i whatever the parts.

import { describe, expect, it } from 'vitest';
import { chunks, collectiveProblem, kAlgorithmNames, type AlgorithmName } from '../../src/collectives/index.ts';
import { bytesSent, lower, type Program } from '../../src/engine/program.ts';
import { allReducePlan } from '../../src/workloads/allreduce.ts';
import { randomIntegers } from '../../src/config/rng.ts';
import { execOnCpu } from './cpu-exec.ts';
import { alone } from './message-level.ts';

const layout = (collective: AlgorithmName, units: number) =>
  ({ style: 'cluster', units, mesh: { rows: 1, cols: units }, collective, multicast: false, output: 'sharded' }) as const;
const plan = (algorithm: AlgorithmName, p: number, count: number): Program => allReducePlan(count, layout(algorithm, p)).program;
const sends = (prog: Program) => lower(prog, false).ops.map((ops) => ops.filter((o) => o.kind === 'send').length);

describe('all-reduce schedules', () => {
  for (const algorithm of kAlgorithmNames) {
    for (const p of [2, 3, 4, 8]) {
      if (collectiveProblem(algorithm, p)) continue;
      it(`${algorithm} over ${p} ranks: each rank sends 2(p−1)/p·S bytes`, () => {
        const count = 840 * p; // divisible by p and by 2^k
        const want = ((2 * (p - 1)) / p) * count * 4;
        expect(bytesSent(lower(plan(algorithm, p, count), false))).toEqual(new Array(p).fill(want));
      });
      it(`${algorithm} over ${p} ranks sums exactly (integer data, uneven count)`, () => {
        const count = 1001;
        const inputs = Array.from({ length: p }, (_, r) => randomIntegers(count, 100 + r));
        const mem = execOnCpu(plan(algorithm, p, count), (u, buf, a) => buf === 'V' && a.set(inputs[u]!));
        const want = new Float32Array(count);
        for (const v of inputs) v.forEach((x, i) => (want[i]! += x));
        for (let r = 0; r < p; r++) expect(Array.from(mem[r]!.get('O')!)).toEqual(Array.from(want));
      });
    }
  }

  it('ring takes 2(p−1) messages per rank; halving-doubling 2·lg p; direct 2(p−1)', () => {
    expect(sends(plan('ring', 8, 64))).toEqual(new Array(8).fill(14));
    expect(sends(plan('rhd', 8, 64))).toEqual(new Array(8).fill(6));
    expect(sends(plan('direct', 4, 64))).toEqual(new Array(4).fill(6));
    expect(sends(plan('ring', 3, 63))).toEqual(new Array(3).fill(4));
  });

  it('refuses halving-doubling on a count that is not a power of two, naming it', () => {
    expect(collectiveProblem('rhd', 3)).toMatch(/power-of-two.*got 3/);
    const { builder } = alone(3, {
      op: 'allreduce',
      algorithm: 'rhd',
      group: [0, 1, 2],
      buf: 'x',
      off: 0,
      count: 9,
      scratch: 'scratch',
      label: 'x',
    });
    expect(() => lower(builder.program, false)).toThrow(/power-of-two/);
  });

  it('chunks cover the range with sizes differing by at most one', () => {
    const c = chunks(10, 4);
    expect(c.map((x) => x.count)).toEqual([2, 3, 2, 3]);
    expect(c.reduce((s, x) => s + x.count, 0)).toBe(10);
    expect(c[3]!.off + c[3]!.count).toBe(10);
  });
});

describe('reduce-scatter and all-gather with uneven parts', () => {
  const parts = [
    { off: 0, count: 7 },
    { off: 7, count: 2 },
    { off: 9, count: 11 },
    { off: 20, count: 4 },
  ];
  for (const algorithm of kAlgorithmNames) {
    it(`${algorithm}: position i ends the reduce-scatter with part i summed, and the all-gather spreads it`, () => {
      const p = 4;
      const count = 24;
      const group = [2, 0, 3, 1];
      const rs = alone(p, { op: 'reducescatter', algorithm, group, buf: 'x', off: 0, count, parts, scratch: 'scratch', label: 'rs' });
      const inputs = Array.from({ length: p }, (_, r) => randomIntegers(count, 7 + r));
      const mem = execOnCpu(rs.builder.program, (u, buf, a) => buf === 'x' && a.set(inputs[u]!));
      const sum = new Float32Array(count);
      for (const v of inputs) v.forEach((x, i) => (sum[i]! += x));
      group.forEach((u, i) => {
        const { off, count: n } = parts[i]!;
        expect(Array.from(mem[u]!.get('x')!.subarray(off, off + n))).toEqual(Array.from(sum.subarray(off, off + n)));
      });
      const ag = alone(p, { op: 'allgather', algorithm, group, buf: 'x', off: 0, count, parts, label: 'ag' });
      const after = execOnCpu(ag.builder.program, (u, buf, a) => buf === 'x' && a.set(mem[u]!.get('x')!));
      for (const u of group) expect(Array.from(after[u]!.get('x')!)).toEqual(Array.from(sum));
    });
  }
});
