// All-reduce schedules: bytes each rank sends match collectives.md exactly, step counts, and the sums are right.

import { describe, expect, it } from 'vitest';
import { allReduce, Builder, chunks, collectiveProblem } from '../../src/engine/collectives.ts';
import { bytesSent, type Program } from '../../src/engine/program.ts';
import { allReducePlan } from '../../src/engine/workloads.ts';
import { execOnCpu } from './cpu-exec.ts';
import { randomIntegers } from '../../src/config/rng.ts';

function plan(algorithm: 'ring' | 'rhd' | 'direct', p: number, count: number): Program {
  return allReducePlan(count, p, algorithm, null).program;
}

const sends = (prog: Program) => prog.ops.map((ops) => ops.filter((o) => o.kind === 'send').length);

describe('all-reduce schedules', () => {
  for (const algorithm of ['ring', 'rhd', 'direct'] as const) {
    for (const p of [2, 3, 4, 8]) {
      if (collectiveProblem(algorithm, p)) continue;
      it(`${algorithm} over ${p} ranks: each rank sends 2(p−1)/p·S bytes`, () => {
        const count = 840 * p; // divisible by p and by 2^k
        const prog = plan(algorithm, p, count);
        const want = ((2 * (p - 1)) / p) * count * 4;
        expect(bytesSent(prog)).toEqual(new Array(p).fill(want));
      });
      it(`${algorithm} over ${p} ranks sums exactly (integer data, uneven count)`, () => {
        const count = 1001;
        const prog = plan(algorithm, p, count);
        const inputs = Array.from({ length: p }, (_, r) => randomIntegers(count, 100 + r));
        const mem = execOnCpu(prog, (u, buf, a) => buf === 'V' && a.set(inputs[u]!));
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
    const b = new Builder([[], [], []]);
    expect(() => allReduce(b, 'rhd', { group: [0, 1, 2], buf: 'O', off: 0, count: 9, scratch: 's', label: 'x' })).toThrow(/power-of-two/);
  });

  it('chunks cover the range with sizes differing by at most one', () => {
    const c = chunks(10, 4);
    expect(c.map((x) => x.count)).toEqual([2, 3, 2, 3]);
    expect(c.reduce((s, x) => s + x.count, 0)).toBe(10);
    expect(c[3]!.off + c[3]!.count).toBe(10);
  });
});
