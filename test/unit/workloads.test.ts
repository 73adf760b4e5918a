// Workload programs compute the right thing (lowered and run on the CPU interpreter) on both sides and for both
// output contracts, and send the bytes the contract says.

import { describe, expect, it } from 'vitest';
import { bytesSent, lower } from '../../src/engine/program.ts';
import { ksplitPlan, rowsPlan, summaPlan } from '../../src/workloads/gemm.ts';
import { megatronPlan, waferMlpPlan } from '../../src/workloads/mlp.ts';
import { lineRing, meshRing, type Layout, type Plan } from '../../src/workloads/plan.ts';
import { randomMatrix } from '../../src/config/rng.ts';
import { gelu } from '../../src/ops/math.ts';
import { execOnCpu } from './cpu-exec.ts';

function matmul(A: Float32Array, B: Float32Array, m: number, n: number, k: number): Float64Array {
  const C = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) C[i * n + j]! += A[i * k + p]! * B[p * n + j]!;
  return C;
}

const layout = (
  style: 'wafer' | 'cluster',
  units: number,
  mesh = { rows: 1, cols: units },
  output: 'sharded' | 'replicated' = 'sharded',
  collective: Layout['collective'] = 'ring',
): Layout => ({
  style,
  units,
  mesh,
  collective: style === 'wafer' ? 'ring' : collective,
  multicast: style === 'wafer',
  output,
});

/** Runs a plan on the CPU with its inputs placed, and returns every output block with where it belongs. */
function runPlan(plan: Plan, mats: Record<string, Float32Array>) {
  const multicast = plan.layout.multicast;
  const mem = execOnCpu(plan.program, () => {}, multicast);
  for (const p of plan.inputs) {
    const src = mats[p.matrix]!;
    const ld = plan.matrices[p.matrix]![1];
    const dst = mem[p.unit]!.get(p.buf)!;
    for (let r = 0; r < p.rows; r++) dst.set(src.subarray((p.r0 + r) * ld + p.c0, (p.r0 + r) * ld + p.c0 + p.cols), p.off + r * p.cols);
  }
  const again = execOnCpu(plan.program, (u, buf, a) => a.set(mem[u]!.get(buf)!), multicast);
  return plan.outputs.map((p) => ({ p, data: again[p.unit]!.get(p.buf)!.subarray(p.off, p.off + p.rows * p.cols) }));
}

/** Every output block matches, and (sharded) every element of the result is held exactly once. */
function expectBlocks(plan: Plan, mats: Record<string, Float32Array>, want: Float64Array, [rows, ld]: [number, number], tol: number) {
  const outs = runPlan(plan, mats);
  expect(outs.length).toBeGreaterThan(0);
  const seen = new Uint32Array(rows * ld);
  for (const { p, data } of outs) {
    for (let r = 0; r < p.rows; r++)
      for (let c = 0; c < p.cols; c++) {
        expect(Math.abs(data[r * p.cols + c]! - want[(p.r0 + r) * ld + p.c0 + c]!)).toBeLessThan(tol);
        seen[(p.r0 + r) * ld + p.c0 + c]!++;
      }
  }
  const units = plan.layout.units;
  if (plan.layout.output === 'sharded') expect([...new Set(seen)]).toEqual([1]);
  else expect([...new Set(seen)]).toEqual([units]);
}

describe('GEMM plans', () => {
  const [m, n, k] = [13, 11, 17];
  const A = randomMatrix(m * k, 1);
  const B = randomMatrix(k * n, 2);
  const C = matmul(A, B, m, n, k);
  const cases: [string, Plan][] = [
    ['ksplit ×3 ring, sharded (reduce-scatter)', ksplitPlan(m, n, k, layout('cluster', 3))],
    ['ksplit ×3 ring, replicated (all-reduce)', ksplitPlan(m, n, k, layout('cluster', 3, undefined, 'replicated'))],
    ['ksplit ×4 rhd, sharded', ksplitPlan(m, n, k, layout('cluster', 4, undefined, 'sharded', 'rhd'))],
    ['ksplit ×4 rhd, replicated', ksplitPlan(m, n, k, layout('cluster', 4, undefined, 'replicated', 'rhd'))],
    ['ksplit ×4 direct, sharded', ksplitPlan(m, n, k, layout('cluster', 4, undefined, 'sharded', 'direct'))],
    ['ksplit ×4 nvls (run as direct), replicated', ksplitPlan(m, n, k, layout('cluster', 4, undefined, 'replicated', 'nvls'))],
    ['rows ×4, sharded', rowsPlan(m, n, k, layout('cluster', 4))],
    ['rows ×4, replicated (all-gather)', rowsPlan(m, n, k, layout('cluster', 4, undefined, 'replicated'))],
    ['summa 2x2 (wafer), sharded', summaPlan(m, n, k, layout('wafer', 4, { rows: 2, cols: 2 }))],
    ['summa 2x2 (wafer), replicated', summaPlan(m, n, k, layout('wafer', 4, { rows: 2, cols: 2 }, 'replicated'))],
    ['summa 2x3 (cluster), sharded', summaPlan(m, n, k, layout('cluster', 6, { rows: 2, cols: 3 }))],
    ['summa 2x3 (cluster), replicated', summaPlan(m, n, k, layout('cluster', 6, { rows: 2, cols: 3 }, 'replicated'))],
    ['summa 1x1', summaPlan(m, n, k, layout('wafer', 1, { rows: 1, cols: 1 }))],
  ];
  for (const [name, plan] of cases) it(`${name} computes A·B`, () => expectBlocks(plan, { A, B }, C, [m, n], 1e-4));

  it('ksplit replicated sends 2(n−1)/n·M·N·4 bytes per shard (ring all-reduce); sharded half of it', () => {
    const rep = ksplitPlan(256, 256, 256, layout('cluster', 4, undefined, 'replicated'));
    const sh = ksplitPlan(256, 256, 256, layout('cluster', 4));
    expect(bytesSent(lower(rep.program, false))).toEqual(new Array(4).fill(2 * (3 / 4) * 256 * 256 * 4));
    expect(bytesSent(lower(sh.program, false))).toEqual(new Array(4).fill((3 / 4) * 256 * 256 * 4));
  });

  it('rows sends nothing when C may stay sharded', () =>
    expect(bytesSent(lower(rowsPlan(64, 64, 64, layout('cluster', 4)).program, false))).toEqual([0, 0, 0, 0]));

  it('wafer SUMMA multicasts each panel once per owner', () => {
    // 2x2, K=64: 2 panels of 32; each tile owns one A panel (32 rows × 32) and one B panel (32 × 32).
    expect(bytesSent(lower(summaPlan(64, 64, 64, layout('wafer', 4, { rows: 2, cols: 2 })).program, true))).toEqual(
      new Array(4).fill(2 * 32 * 32 * 4),
    );
  });
});

describe('MLP plans', () => {
  const [T, H, L] = [6, 8, 2];
  const F = 4 * H;
  const mats: Record<string, Float32Array> = { X: randomMatrix(T * H, 3) };
  for (let l = 0; l < L; l++) {
    mats[`W1.${l}`] = randomMatrix(H * F, 10 + l, 1 / Math.sqrt(H));
    mats[`W2.${l}`] = randomMatrix(F * H, 20 + l, 1 / Math.sqrt(F));
  }
  let Y: Float64Array = Float64Array.from(mats.X!);
  for (let l = 0; l < L; l++) {
    const h = matmul(Float32Array.from(Y), mats[`W1.${l}`]!, T, F, H).map(gelu);
    Y = matmul(Float32Array.from(h), mats[`W2.${l}`]!, T, H, F);
  }
  it('Megatron over 3 shards, sharded', () => expectBlocks(megatronPlan(T, H, L, layout('cluster', 3)), mats, Y, [T, H], 1e-4));
  it('Megatron over 3 shards, replicated', () =>
    expectBlocks(megatronPlan(T, H, L, layout('cluster', 3, undefined, 'replicated')), mats, Y, [T, H], 1e-4));
  it('Megatron over 4 shards, direct', () =>
    expectBlocks(megatronPlan(T, H, L, layout('cluster', 4, undefined, 'sharded', 'direct')), mats, Y, [T, H], 1e-4));
  it('weight-stationary on 2x2 tiles, sharded', () =>
    expectBlocks(waferMlpPlan(T, H, L, layout('wafer', 4, { rows: 2, cols: 2 })), mats, Y, [T, H], 1e-4));
  it('weight-stationary on 2x2 tiles, replicated', () =>
    expectBlocks(waferMlpPlan(T, H, L, layout('wafer', 4, { rows: 2, cols: 2 }, 'replicated')), mats, Y, [T, H], 1e-4));
  it('weight-stationary on 1x3 tiles, sharded', () =>
    expectBlocks(waferMlpPlan(T, H, L, layout('wafer', 3, { rows: 1, cols: 3 })), mats, Y, [T, H], 1e-4));
  it('weight-stationary on 1x3 tiles, replicated', () =>
    expectBlocks(waferMlpPlan(T, H, L, layout('wafer', 3, { rows: 1, cols: 3 }, 'replicated')), mats, Y, [T, H], 1e-4));
});

describe('rings on the mesh join neighbours', () => {
  const dist = (g: { rows: number; cols: number }, a: number, b: number) =>
    Math.abs(Math.floor(a / g.cols) - Math.floor(b / g.cols)) + Math.abs((a % g.cols) - (b % g.cols));
  it.each([1, 2, 3, 4, 5, 8])('a line of %i: every edge spans at most two units', (n) => {
    const ring = lineRing(n);
    expect([...ring].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
    ring.forEach((u, i) => expect(Math.abs(u - ring[(i + 1) % n]!)).toBeLessThanOrEqual(2));
  });
  it.each([
    [2, 2],
    [2, 4],
    [4, 3],
    [3, 4],
    [8, 8],
  ])('a %ix%i mesh: a cycle through every tile with neighbouring steps', (rows, cols) => {
    const g = { rows, cols };
    const ring = meshRing(g);
    expect([...ring].sort((a, b) => a - b)).toEqual([...Array(rows * cols).keys()]);
    ring.forEach((u, i) => expect(dist(g, u, ring[(i + 1) % ring.length]!)).toBe(1));
  });
});

describe('the wafer all-reduce in two dimensions', () => {
  it.each([
    [2, 2, 64],
    [2, 3, 61],
    [3, 4, 1000],
  ])('%ix%i tiles, %i elements: every tile ends with the exact sum', async (rows, cols, count) => {
    const { allReducePlan } = await import('../../src/workloads/allreduce.ts');
    const { randomIntegers } = await import('../../src/config/rng.ts');
    const plan = allReducePlan(count, layout('wafer', rows * cols, { rows, cols }));
    const inputs = Array.from({ length: rows * cols }, (_, r) => randomIntegers(count, 50 + r));
    const mem = execOnCpu(plan.program, (u, buf, a) => buf === 'V' && a.set(inputs[u]!), true);
    const want = new Float32Array(count);
    for (const v of inputs) v.forEach((x, i) => (want[i]! += x));
    for (let u = 0; u < rows * cols; u++) expect(Array.from(mem[u]!.get('O')!)).toEqual(Array.from(want));
  });
});
