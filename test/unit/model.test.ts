// The link model (balance-preserving presets) and the replay of small graphs with known critical paths.

import { describe, expect, it } from 'vitest';
import { fabricUnit, kFabricPresets, kLinkPresets, linkUnit, transferMs } from '../../src/config/presets.ts';
import { buildGraph, clusterResources, replay } from '../../src/engine/graph.ts';
import type { Program } from '../../src/engine/program.ts';
import { summarize } from '../../src/stats/stats.ts';

const none = { alpha: null, gbps: null, tflops: null };

describe('link model', () => {
  it('every preset has a source and per-direction figures', () => {
    for (const p of [...Object.values(kLinkPresets), ...Object.values(kFabricPresets)]) {
      expect(p.source.length).toBeGreaterThan(20);
      expect(p.gbps).toBeGreaterThan(0);
      expect(p.tflops).toBeGreaterThan(0);
    }
    expect(kLinkPresets.nvlink4.gbps).toBe(450);
  });

  it('scales transfers by F_target / F_local: s·(α + b/B)', () => {
    const u = linkUnit('nvlink4', none)!;
    const local = 1e9; // 1 GFLOP/s here
    const s = 989e12 / local;
    expect(transferMs(u, local, 450e6)).toBeCloseTo(s * (7.5e-6 + 1e-3) * 1e3, 6);
    expect(linkUnit('measured', none)).toBeNull();
  });

  it('keeps the compute-to-communication balance of the target on any machine', () => {
    const u = linkUnit('ib-ndr', none)!;
    const bytes = 1 << 20;
    // A kernel of f flops takes f / F_l locally; its ratio to the transfer is the target's ratio, whatever F_l is.
    const ratio = (local: number) => 1e9 / local / transferMs(u, local, bytes);
    expect(ratio(1e9)).toBeCloseTo(ratio(5e12), 9);
  });

  it('a wafer tile’s edge bandwidth grows with its perimeter, its compute with its area', () => {
    const t4 = fabricUnit('wse3', 4, none)!;
    const t16 = fabricUnit('wse3', 16, none)!;
    expect(t4.flops! / t16.flops!).toBeCloseTo(4, 9);
    expect(t4.bytesPerSec / t16.bytesPerSec).toBeCloseTo(2, 9);
    expect(fabricUnit('custom', 4, { alpha: 1, gbps: 10, tflops: 400 })!.flops).toBe(100e12);
  });
});

/** Two units: each computes, unit 0 sends to unit 1, unit 1 adds and computes again. */
const program: Program = {
  units: 2,
  buffers: [
    { x: 8, y: 8 },
    { x: 8, y: 8, r: 8 },
  ],
  ops: [
    [
      { kind: 'gelu', buf: 'x', off: 0, count: 8, label: 'c0' },
      { kind: 'send', to: [1], buf: 'x', off: 0, count: 8, tag: 1, label: 's' },
      { kind: 'gelu', buf: 'y', off: 0, count: 8, label: 'c0b' },
    ],
    [
      { kind: 'gelu', buf: 'x', off: 0, count: 8, label: 'c1' },
      { kind: 'recv', from: 0, buf: 'r', off: 0, count: 8, tag: 1, label: 's' },
      { kind: 'add', dst: 'x', offDst: 0, src: 'r', offSrc: 0, count: 8, label: 'a1' },
    ],
  ],
};

describe('replay', () => {
  const g = buildGraph(program, clusterResources);
  const dur = (d: Record<string, number>) => (n: (typeof g.nodes)[number]) => (n.kind === 'comm' ? d.comm! : d[n.op.label]!);

  it('finds the critical path through a transfer and exposes the part no compute hides', () => {
    // c0 [0,2] → comm [2,7] → a1 [7,8]; c1 [0,1]; c0b [2,4] overlaps the transfer on unit 0.
    const r = replay(g, dur({ c0: 2, c1: 1, c0b: 2, a1: 1, comm: 5 }));
    expect(r.stepMs).toBe(8);
    expect(r.criticalPath.map((id) => g.nodes[id]!.kind)).toEqual(['compute', 'comm', 'compute']);
    expect(r.computeMs).toBe(3);
    expect(r.exposedCommMs).toBe(3); // [4, 7]: c0b covers [2, 4]
    expect(r.commMs).toBe(5);
  });

  it('a compute-bound step has no exposed communication', () => {
    const r = replay(g, dur({ c0: 1, c1: 10, c0b: 2, a1: 1, comm: 1 }));
    expect(r.stepMs).toBe(11);
    expect(r.exposedCommMs).toBe(0);
  });

  it('a unit runs one kernel at a time', () => {
    const r = replay(g, dur({ c0: 2, c1: 1, c0b: 2, a1: 1, comm: 0 }));
    const c0b = g.nodes.find((n) => n.kind === 'compute' && n.op.label === 'c0b')!;
    expect(r.nodes[c0b.id]!.start).toBe(2);
  });
});

describe('stats', () => {
  it('summarizes with interpolated quantiles', () => {
    expect(summarize([5, 1, 3, 2, 4])).toEqual({ median: 3, p10: 1.4, p90: 4.6, min: 1, max: 5, samples: 5 });
    expect(summarize([]).samples).toBe(0);
  });
});
