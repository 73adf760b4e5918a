// The transformer-layer ops (RMSNorm, SwiGLU, attention): their CPU semantics against the float64 references within
// the derived bounds on odd shapes and in place, their costs and regions by hand, signatures, shape checks, and
// their place in programs (hazards, the CPU interpreter, the roofline).

import { describe, expect, it } from 'vitest';
import { kOps, specOf, type ComputeOp } from '../../src/ops/index.ts';
import type { AttentionOp, RmsnormOp, SwigluOp } from '../../src/ops/llm.ts';
import { attentionRef, checkAgainst, rmsnormRef, swigluRef, type AttentionShape } from '../../src/ops/llm-reference.ts';
import { randomMatrix } from '../../src/config/rng.ts';
import { localDeps, type Program } from '../../src/engine/program.ts';
import { ClusterTarget } from '../../src/model/cluster.ts';
import { kGpuPresets } from '../../src/model/hardware/gpus.ts';
import { kLinkPresets } from '../../src/model/hardware/links.ts';
import { execOnCpu } from './cpu-exec.ts';

/** One unit's memory from named arrays. */
const memOf = (bufs: Record<string, Float32Array>) => (name: string) => {
  const b = bufs[name];
  if (!b) throw new Error(`no buffer ${name}`);
  return b;
};

const rmsnormOp = (rows: number, dim: number, o: Partial<RmsnormOp> = {}): RmsnormOp => ({
  kind: 'rmsnorm',
  x: 'x',
  offX: 0,
  w: 'w',
  offW: 0,
  y: 'y',
  offY: 0,
  rows,
  dim,
  eps: 1e-5,
  label: 'norm',
  ...o,
});

const swigluOp = (count: number, o: Partial<SwigluOp> = {}): SwigluOp => ({
  kind: 'swiglu',
  gate: 'g',
  offGate: 0,
  up: 'u',
  offUp: 0,
  out: 'o',
  offOut: 0,
  count,
  label: 'glu',
  ...o,
});

const attentionOp = (s: AttentionShape, o: Partial<AttentionOp> = {}): AttentionOp => ({
  kind: 'attention',
  q: 'q',
  offQ: 0,
  k: 'k',
  offK: 0,
  v: 'v',
  offV: 0,
  out: 'out',
  offOut: 0,
  ...s,
  label: 'attn',
  ...o,
});

const qLen = (s: AttentionShape) => s.batch * s.queries * s.heads * s.headDim;
const kvLen = (s: AttentionShape) => s.batch * s.ctx * s.kvHeads * s.headDim;

describe('rmsnorm', () => {
  const cases: [number, number][] = [
    [1, 1],
    [1, 33],
    [7, 1],
    [7, 33],
    [3, 4096],
  ];
  for (const [rows, dim] of cases) {
    it(`matches the float64 reference (${rows}×${dim}), out of place and in place`, () => {
      const x = randomMatrix(rows * dim, 1, 3);
      const w = randomMatrix(dim, 2, 2);
      const ref = rmsnormRef(x, w, rows, dim, 1e-5);
      const y = new Float32Array(rows * dim);
      kOps.rmsnorm.cpu(rmsnormOp(rows, dim), memOf({ x, w, y }));
      const c = checkAgainst(y, ref);
      expect(c.first).toBeNull();
      expect(c.maxRatio).toBeLessThan(1);
      const xy = x.slice();
      kOps.rmsnorm.cpu(rmsnormOp(rows, dim, { y: 'x' }), memOf({ x: xy, w }));
      expect(xy).toEqual(y);
    });
  }

  it('reads and writes at offsets, and costs what the formulas say', () => {
    const op = rmsnormOp(7, 33, { offX: 5, offW: 3, offY: 11 });
    const x = randomMatrix(5 + 7 * 33, 3);
    const w = randomMatrix(3 + 33, 4);
    const y = new Float32Array(11 + 7 * 33 + 4).fill(-7);
    kOps.rmsnorm.cpu(op, memOf({ x, w, y }));
    const c = checkAgainst(y.subarray(11, 11 + 7 * 33), rmsnormRef(x.subarray(5), w.subarray(3), 7, 33, 1e-5));
    expect(c.wrong).toBe(0);
    expect([...y.subarray(0, 11), ...y.subarray(11 + 7 * 33)].every((v) => v === -7)).toBe(true);
    expect(kOps.rmsnorm.accesses(op)).toEqual([
      { buf: 'x', lo: 5, hi: 5 + 231, write: false },
      { buf: 'w', lo: 3, hi: 36, write: false },
      { buf: 'y', lo: 11, hi: 11 + 231, write: true },
    ]);
    expect(kOps.rmsnorm.flops(op)).toBe(924); // 4·7·33
    expect(kOps.rmsnorm.memElems(op)).toBe(495); // 2·7·33 + 33
  });

  it('the bound is tight enough to see eps left out of a near-zero row', () => {
    const x = new Float32Array([1e-3, -1e-3, 2e-3, 0]);
    const w = new Float32Array([1, 1, 1, 1]);
    const y = new Float32Array(4);
    kOps.rmsnorm.cpu(rmsnormOp(1, 4, { eps: 0 }), memOf({ x, w, y }));
    expect(checkAgainst(y, rmsnormRef(x, w, 1, 4, 1e-5)).wrong).toBeGreaterThan(0);
  });
});

describe('swiglu', () => {
  for (const count of [1, 33, 1000]) {
    it(`matches the float64 reference (${count} elements, gates in ±100), out of place and in place`, () => {
      const g = randomMatrix(count, 5, 100);
      g[0] = -100; // e^100 overflows f32: the limit −0 must come out, not NaN
      const u = randomMatrix(count, 6, 4);
      const o = new Float32Array(count);
      kOps.swiglu.cpu(swigluOp(count), memOf({ g, u, o }));
      const c = checkAgainst(o, swigluRef(g, u, count));
      expect(c.first).toBeNull();
      const go = g.slice();
      kOps.swiglu.cpu(swigluOp(count, { out: 'g' }), memOf({ g: go, u }));
      expect(go).toEqual(o);
    });
  }

  it('costs what the formulas say', () => {
    const op = swigluOp(1000, { offGate: 1, offUp: 2, offOut: 3 });
    expect(kOps.swiglu.accesses(op)).toEqual([
      { buf: 'g', lo: 1, hi: 1001, write: false },
      { buf: 'u', lo: 2, hi: 1002, write: false },
      { buf: 'o', lo: 3, hi: 1003, write: true },
    ]);
    expect(kOps.swiglu.flops(op)).toBe(6000);
    expect(kOps.swiglu.memElems(op)).toBe(3000);
  });
});

describe('attention', () => {
  // Named shapes: GQA ratios 1, 2 and 4, decode (queries 1, past > 0), prefill (past 0) and a prefill chunk after a
  // prefix (both > 0), one and three sequences, head dimensions 1, 16 and 33, caches with unused rows.
  const cases: [string, AttentionShape][] = [
    ['decode, MHA, 1 sequence', { batch: 1, queries: 1, heads: 4, kvHeads: 4, headDim: 16, past: 37, ctx: 40 }],
    ['decode, GQA 4:1, 3 sequences', { batch: 3, queries: 1, heads: 4, kvHeads: 1, headDim: 33, past: 37, ctx: 38 }],
    ['decode, GQA 2:1, empty cache', { batch: 3, queries: 1, heads: 4, kvHeads: 2, headDim: 16, past: 0, ctx: 8 }],
    ['prefill, GQA 4:1, 1 sequence', { batch: 1, queries: 5, heads: 4, kvHeads: 1, headDim: 16, past: 0, ctx: 5 }],
    ['prefill, GQA 2:1, 3 sequences', { batch: 3, queries: 5, heads: 4, kvHeads: 2, headDim: 33, past: 0, ctx: 9 }],
    ['prefill chunk after 37, GQA 2:1', { batch: 3, queries: 5, heads: 4, kvHeads: 2, headDim: 16, past: 37, ctx: 50 }],
    ['prefill chunk after 37, GQA 4:1, headDim 1', { batch: 1, queries: 5, heads: 4, kvHeads: 1, headDim: 1, past: 37, ctx: 42 }],
  ];
  for (const [name, s] of cases) {
    it(`matches the float64 reference: ${name}`, () => {
      const q = randomMatrix(qLen(s), 7, 2);
      const k = randomMatrix(kvLen(s), 8, 2);
      const v = randomMatrix(kvLen(s), 9);
      const out = new Float32Array(qLen(s));
      kOps.attention.cpu(attentionOp(s), memOf({ q, k, v, out }));
      // The CPU semantics take the max first (a two-pass softmax): no online rescalings.
      const c = checkAgainst(out, attentionRef(q, k, v, s, { rescaleEvery: Infinity }));
      expect(c.first).toBeNull();
      expect(c.maxRatio).toBeLessThan(1);
      // Also within the bound for any streaming order, which is wider.
      expect(checkAgainst(out, attentionRef(q, k, v, s)).wrong).toBe(0);
      const qo = q.slice();
      kOps.attention.cpu(attentionOp(s, { out: 'q' }), memOf({ q: qo, k, v }));
      expect(qo).toEqual(out);
    });
  }

  it('reads only the valid cache rows; costs what the formulas say', () => {
    const s: AttentionShape = { batch: 2, queries: 3, heads: 8, kvHeads: 2, headDim: 4, past: 5, ctx: 16 };
    const op = attentionOp(s, { offQ: 1, offK: 2, offV: 3, offOut: 4 });
    const row = 2 * 4; // kvHeads·headDim
    expect(kOps.attention.accesses(op)).toEqual([
      { buf: 'q', lo: 1, hi: 1 + 192, write: false }, // 2·3·8·4
      { buf: 'k', lo: 2, hi: 2 + 8 * row, write: false }, // rows 0 … past+queries−1 of sequence 0
      { buf: 'k', lo: 2 + 16 * row, hi: 2 + 24 * row, write: false }, // … and of sequence 1
      { buf: 'v', lo: 3, hi: 3 + 8 * row, write: false },
      { buf: 'v', lo: 3 + 16 * row, hi: 3 + 24 * row, write: false },
      { buf: 'out', lo: 4, hi: 4 + 192, write: true },
    ]);
    // Keys attended per query: 6, 7, 8 → 21 per (sequence, head); 4 FLOPs per key and head dimension.
    expect(kOps.attention.flops(op)).toBe(4 * 2 * 8 * 4 * 21);
    // q + out + K and V rows once each: 192 + 192 + 2·2·2·4·8.
    expect(kOps.attention.memElems(op)).toBe(192 + 192 + 256);
  });

  it('the bound sees a causal mask off by one key, at 1000 keys', () => {
    const s: AttentionShape = { batch: 1, queries: 1, heads: 2, kvHeads: 1, headDim: 64, past: 999, ctx: 1001 };
    const q = randomMatrix(qLen(s), 10);
    const k = randomMatrix(kvLen(s), 11);
    const v = randomMatrix(kvLen(s), 12);
    const out = new Float32Array(qLen(s));
    kOps.attention.cpu(attentionOp({ ...s, past: s.past + 1 }), memOf({ q, k, v, out }));
    expect(checkAgainst(out, attentionRef(q, k, v, s)).wrong).toBeGreaterThan(0);
  });

  it('refuses shapes the kernels do not cover', () => {
    const s: AttentionShape = { batch: 1, queries: 2, heads: 6, kvHeads: 4, headDim: 16, past: 3, ctx: 8 };
    const mem = memOf({ q: new Float32Array(4096), k: new Float32Array(4096), v: new Float32Array(4096), out: new Float32Array(4096) });
    expect(() => kOps.attention.cpu(attentionOp(s), mem)).toThrow(/multiple of kvHeads/);
    expect(() => kOps.attention.cpu(attentionOp({ ...s, kvHeads: 2, past: 7 }), mem)).toThrow(/exceeds the cache/);
    expect(() => kOps.attention.cpu(attentionOp({ ...s, kvHeads: 2, headDim: 257 }), mem)).toThrow(/above 256/);
    expect(() => kOps.attention.cpu(attentionOp({ ...s, kvHeads: 2 }, { out: 'q', offOut: 16 }), mem)).toThrow(/overlaps/);
    expect(() => kOps.rmsnorm.cpu(rmsnormOp(2, 8, { y: 'x', offY: 4 }), mem)).toThrow(/overlaps/);
    expect(() => kOps.swiglu.cpu(swigluOp(8, { out: 'u' }), memOf({ g: new Float32Array(8), u: new Float32Array(8) }))).toThrow(
      /up overlaps/,
    );
  });
});

describe('signatures', () => {
  const base: AttentionShape = { batch: 2, queries: 3, heads: 8, kvHeads: 2, headDim: 64, past: 5, ctx: 16 };
  it('differ when any shape parameter differs, and only then', () => {
    const sig = (o: ComputeOp) => specOf(o).signature(o);
    const a = attentionOp(base);
    const variants = (Object.keys(base) as (keyof AttentionShape)[]).map((key) => attentionOp({ ...base, [key]: base[key] * 2 }));
    const sigs = new Set([a, ...variants].map(sig));
    expect(sigs.size).toBe(variants.length + 1);
    expect(sig(attentionOp(base, { offQ: 8, label: 'other layer' }))).toBe(sig(a));
    expect(sig(rmsnormOp(7, 33))).not.toBe(sig(rmsnormOp(7, 34)));
    expect(sig(rmsnormOp(7, 33))).not.toBe(sig(rmsnormOp(8, 33)));
    expect(sig(rmsnormOp(7, 33, { offX: 3 }))).toBe(sig(rmsnormOp(7, 33)));
    expect(sig(swigluOp(7))).not.toBe(sig(swigluOp(8)));
    expect(new Set([sig(a), sig(rmsnormOp(7, 33)), sig(swigluOp(7))]).size).toBe(3);
  });
});

describe('in programs', () => {
  // A decode step's non-GEMM chain on one unit: norm in place, attention into O, SwiGLU in place on G.
  const s: AttentionShape = { batch: 1, queries: 1, heads: 4, kvHeads: 2, headDim: 8, past: 9, ctx: 16 };
  const ops: ComputeOp[] = [
    rmsnormOp(1, 32, { x: 'X', y: 'X', w: 'W' }),
    attentionOp(s, { q: 'X', k: 'K', v: 'V', out: 'O' }),
    swigluOp(32, { gate: 'O', up: 'U', out: 'O' }),
    rmsnormOp(1, 32, { x: 'X', y: 'X', w: 'W', label: 'next norm' }),
  ];
  const program: Program = { units: 1, buffers: [{ X: 32, W: 32, K: 256, V: 256, O: 32, U: 32 }], ops: [ops] };

  it('order by their hazards: attention after the norm, SwiGLU after attention, the next norm after both that touch X', () => {
    expect(localDeps(ops, 0)).toEqual([[], [0], [1], [1, 0]]);
  });

  it('run in the CPU interpreter as their own semantics do', () => {
    const init = (_u: number, buf: string, a: Float32Array) => a.set(randomMatrix(a.length, buf.charCodeAt(0)));
    const mem = execOnCpu(program, init)[0]!;
    const by = Object.fromEntries(Object.entries(program.buffers[0]!).map(([b, n]) => [b, new Float32Array(n)]));
    for (const [b, a] of Object.entries(by)) init(0, b, a);
    for (const op of ops) specOf(op).cpu(op, memOf(by));
    for (const [b, a] of Object.entries(by)) expect(mem.get(b), b).toEqual(a);
  });

  it('decode attention is memory-bound on a GPU: launch + (q, out, K and V rows) bytes / (η_m·HBM)', () => {
    const h100 = new ClusterTarget(
      { gpu: kGpuPresets.h100, link: kLinkPresets.nvlink4, scaleout: kLinkPresets['ib-ndr'], gpusPerNode: 8, units: 1, precision: 'bf16' },
      'mid',
    );
    const g = kGpuPresets.h100;
    const op = attentionOp({ batch: 8, queries: 1, heads: 32, kvHeads: 8, headDim: 128, past: 4095, ctx: 4096 });
    const bytes = (2 * 8 * 32 * 128 + 2 * 8 * 8 * 128 * 4096) * 2;
    expect(h100.kernelUs(op)).toBeCloseTo(g.launchUs.value + (bytes / (g.etaMemory.value * g.memGBs.value * 1e9)) * 1e6, 6);
  });
});
