// The records of the base ops (matmul, GeLU, the reduction's add, the local copy): what they compute on the CPU,
// the regions they read and write, their FLOPs and memory traffic for the roofline, and their timing signatures.

import { describe, expect, it } from 'vitest';
import { randomMatrix } from '../../src/config/rng.ts';
import { gelu } from '../../src/ops/math.ts';
import { kOps, matmulOp, type AddOp, type CopyOp, type GeluOp } from '../../src/ops/index.ts';

/** One unit's memory from named arrays. */
const memOf = (bufs: Record<string, Float32Array>) => (name: string) => {
  const b = bufs[name];
  if (!b) throw new Error(`no buffer ${name}`);
  return b;
};

describe('matmul', () => {
  it('computes C = A·B, or C += A·B, at offsets, against a float64 product', () => {
    const [m, n, k] = [5, 7, 3];
    const a = randomMatrix(m * k + 2, 11);
    const b = randomMatrix(k * n + 1, 12);
    const c0 = randomMatrix(m * n + 3, 13);
    for (const accumulate of [false, true]) {
      const c = Float32Array.from(c0);
      const op = matmulOp({ buf: 'a', off: 2 }, { buf: 'b', off: 1 }, { buf: 'c', off: 3 }, [m, n, k], 'mm', accumulate);
      kOps.matmul.cpu(op, memOf({ a, b, c }));
      expect(Array.from(c.subarray(0, 3))).toEqual(Array.from(c0.subarray(0, 3)));
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let want = accumulate ? c0[3 + i * n + j]! : 0;
          for (let p = 0; p < k; p++) want += a[2 + i * k + p]! * b[1 + p * n + j]!;
          expect(c[3 + i * n + j]).toBeCloseTo(want, 5);
        }
    }
  });

  it('reads A and B (and C when it accumulates), writes C; 2mnk FLOPs; a signature by shape, mode and alignment', () => {
    const op = matmulOp('a', 'b', 'c', [4, 6, 8], 'mm');
    expect(kOps.matmul.accesses(op)).toEqual([
      { buf: 'a', lo: 0, hi: 32, write: false },
      { buf: 'b', lo: 0, hi: 48, write: false },
      { buf: 'c', lo: 0, hi: 24, write: true },
    ]);
    expect(kOps.matmul.flops(op)).toBe(2 * 4 * 6 * 8);
    expect(kOps.matmul.memElems(op)).toBe(32 + 48 + 24);
    const acc = { ...op, accumulate: true };
    expect(kOps.matmul.accesses(acc)).toContainEqual({ buf: 'c', lo: 0, hi: 24, write: false });
    expect(kOps.matmul.memElems(acc)).toBe(32 + 48 + 48);
    expect(kOps.matmul.signature(op)).toBe('matmul:4x6x8:set:a');
    expect(kOps.matmul.signature(acc)).toBe('matmul:4x6x8:acc:a');
    expect(kOps.matmul.signature({ ...op, offB: 2 })).toBe('matmul:4x6x8:set:u');
    expect(kOps.matmul.signature({ ...op, label: 'other' })).toBe(kOps.matmul.signature(op));
  });
});

describe('gelu', () => {
  it('applies the tanh GeLU in place to its range only', () => {
    const x = randomMatrix(10, 3, 3);
    const before = Float32Array.from(x);
    const op: GeluOp = { kind: 'gelu', buf: 'x', off: 2, count: 5, label: 'act' };
    kOps.gelu.cpu(op, memOf({ x }));
    for (let i = 0; i < 10; i++) expect(x[i]).toBeCloseTo(i >= 2 && i < 7 ? gelu(before[i]!) : before[i]!, 6);
    expect(kOps.gelu.accesses(op)).toEqual([
      { buf: 'x', lo: 2, hi: 7, write: false },
      { buf: 'x', lo: 2, hi: 7, write: true },
    ]);
    expect([kOps.gelu.flops(op), kOps.gelu.memElems(op), kOps.gelu.signature(op)]).toEqual([40, 10, 'gelu:5']);
  });
});

describe('add', () => {
  it('adds src into dst over its range: one FLOP and three elements moved per element', () => {
    const src = Float32Array.from([1, 2, 3, 4, 5]);
    const dst = Float32Array.from([10, 20, 30, 40, 50, 60]);
    const op: AddOp = { kind: 'add', dst: 'd', offDst: 1, src: 's', offSrc: 2, count: 3, label: 'sum' };
    kOps.add.cpu(op, memOf({ d: dst, s: src }));
    expect(Array.from(dst)).toEqual([10, 23, 34, 45, 50, 60]);
    expect(kOps.add.accesses(op)).toEqual([
      { buf: 's', lo: 2, hi: 5, write: false },
      { buf: 'd', lo: 1, hi: 4, write: false },
      { buf: 'd', lo: 1, hi: 4, write: true },
    ]);
    expect([kOps.add.flops(op), kOps.add.memElems(op), kOps.add.signature(op)]).toEqual([3, 9, 'add:3']);
  });
});

describe('copy', () => {
  it('copies src to dst over its range and leaves the rest: no FLOPs, two elements moved per element', () => {
    const src = Float32Array.from([1, 2, 3, 4, 5]);
    const dst = Float32Array.from([10, 20, 30, 40, 50, 60]);
    const op: CopyOp = { kind: 'copy', dst: 'd', offDst: 2, src: 's', offSrc: 1, count: 3, label: 'copy input to output' };
    kOps.copy.cpu(op, memOf({ d: dst, s: src }));
    expect(Array.from(dst)).toEqual([10, 20, 2, 3, 4, 60]);
    expect(Array.from(src)).toEqual([1, 2, 3, 4, 5]);
    expect(kOps.copy.accesses(op)).toEqual([
      { buf: 's', lo: 1, hi: 4, write: false },
      { buf: 'd', lo: 2, hi: 5, write: true },
    ]);
    expect([kOps.copy.flops(op), kOps.copy.memElems(op), kOps.copy.signature(op)]).toEqual([0, 6, 'copy:3']);
  });
});
