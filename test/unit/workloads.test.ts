// Workload programs compute the right thing (run on the CPU interpreter), and send the bytes the contract says.

import { describe, expect, it } from 'vitest';
import { bytesSent } from '../../src/engine/program.ts';
import { ksplitPlan, megatronPlan, rowsPlan, summaPlan, waferMlpPlan, type Plan } from '../../src/engine/workloads.ts';
import { randomMatrix } from '../../src/config/rng.ts';
import { execOnCpu } from './cpu-exec.ts';
import { geluRef } from '../../src/engine/verify.ts';

function matmul(A: Float32Array, B: Float32Array, m: number, n: number, k: number): Float64Array {
  const C = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) C[i * n + j]! += A[i * k + p]! * B[p * n + j]!;
  return C;
}

/** Runs a plan on the CPU with its inputs placed, and returns every output block with where it belongs. */
function runPlan(plan: Plan, mats: Record<string, Float32Array>) {
  const mem = execOnCpu(plan.program, () => {});
  for (const p of plan.inputs) {
    const src = mats[p.matrix]!;
    const ld = plan.matrices[p.matrix]![1];
    const dst = mem[p.unit]!.get(p.buf)!;
    for (let r = 0; r < p.rows; r++) dst.set(src.subarray((p.r0 + r) * ld + p.c0, (p.r0 + r) * ld + p.c0 + p.cols), p.off + r * p.cols);
  }
  const again = execOnCpu(plan.program, (u, buf, a) => a.set(mem[u]!.get(buf)!));
  return plan.outputs.map((p) => ({ p, data: again[p.unit]!.get(p.buf)!.subarray(p.off, p.off + p.rows * p.cols) }));
}

function expectBlocks(plan: Plan, mats: Record<string, Float32Array>, want: Float64Array, ld: number, tol: number) {
  const outs = runPlan(plan, mats);
  expect(outs.length).toBeGreaterThan(0);
  for (const { p, data } of outs) {
    for (let r = 0; r < p.rows; r++)
      for (let c = 0; c < p.cols; c++) expect(Math.abs(data[r * p.cols + c]! - want[(p.r0 + r) * ld + p.c0 + c]!)).toBeLessThan(tol);
  }
}

describe('GEMM plans', () => {
  const [m, n, k] = [13, 11, 17];
  const A = randomMatrix(m * k, 1);
  const B = randomMatrix(k * n, 2);
  const C = matmul(A, B, m, n, k);
  const cases: [string, Plan][] = [
    ['ksplit ×3 ring', ksplitPlan(m, n, k, 3, 'ring')],
    ['ksplit ×4 rhd', ksplitPlan(m, n, k, 4, 'rhd')],
    ['ksplit ×4 direct', ksplitPlan(m, n, k, 4, 'direct')],
    ['rows ×4', rowsPlan(m, n, k, 4)],
    ['summa 2x2 multicast (wafer)', summaPlan(m, n, k, { rows: 2, cols: 2 }, true)],
    ['summa 2x3 point-to-point (cluster)', summaPlan(m, n, k, { rows: 2, cols: 3 }, false)],
    ['summa 1x1', summaPlan(m, n, k, { rows: 1, cols: 1 }, true)],
  ];
  for (const [name, plan] of cases) it(`${name} computes A·B`, () => expectBlocks(plan, { A, B }, C, n, 1e-4));

  it('ksplit sends 2(n−1)/n·M·N·4 bytes per shard (ring)', () => {
    expect(bytesSent(ksplitPlan(256, 256, 256, 4, 'ring').program)).toEqual(new Array(4).fill(2 * (3 / 4) * 256 * 256 * 4));
  });

  it('rows sends nothing', () => expect(bytesSent(rowsPlan(64, 64, 64, 4).program)).toEqual([0, 0, 0, 0]));

  it('wafer SUMMA multicasts each panel once per owner', () => {
    // 2x2, K=64: 2 panels of 32; each tile owns one A panel (32 rows × 32) and one B panel (32 × 32).
    expect(bytesSent(summaPlan(64, 64, 64, { rows: 2, cols: 2 }, true).program)).toEqual(new Array(4).fill(2 * 32 * 32 * 4));
  });
});

describe('MLP plans', () => {
  const [T, H, L] = [5, 8, 2];
  const F = 4 * H;
  const mats: Record<string, Float32Array> = { X: randomMatrix(T * H, 3) };
  for (let l = 0; l < L; l++) {
    mats[`W1.${l}`] = randomMatrix(H * F, 10 + l, 1 / Math.sqrt(H));
    mats[`W2.${l}`] = randomMatrix(F * H, 20 + l, 1 / Math.sqrt(F));
  }
  let Y: Float64Array = Float64Array.from(mats.X!);
  for (let l = 0; l < L; l++) {
    const h = matmul(Float32Array.from(Y), mats[`W1.${l}`]!, T, F, H).map(geluRef);
    Y = matmul(Float32Array.from(h), mats[`W2.${l}`]!, T, H, F);
  }
  it('Megatron over 3 shards', () => expectBlocks(megatronPlan(T, H, L, 3, 'ring'), mats, Y, H, 1e-4));
  it('Megatron over 4 shards, direct', () => expectBlocks(megatronPlan(T, H, L, 4, 'direct'), mats, Y, H, 1e-4));
  it('weight-stationary on 2x2 tiles', () => expectBlocks(waferMlpPlan(T, H, L, { rows: 2, cols: 2 }), mats, Y, H, 1e-4));
  it('weight-stationary on 1x3 tiles', () => expectBlocks(waferMlpPlan(T, H, L, { rows: 1, cols: 3 }), mats, Y, H, 1e-4));
});
