// Presets say what they mean and where they come from; the event-driven replay schedules small graphs with known
// answers (LogGP: ports held for the occupancy, arrival a latency later); the roofline and the floors.

import { describe, expect, it } from 'vitest';
import { kFabricPresets } from '../../src/model/hardware/fabrics.ts';
import { kGpuPresets, kPrecisions } from '../../src/model/hardware/gpus.ts';
import { kLinkPresets } from '../../src/model/hardware/links.ts';
import { at, type Figure } from '../../src/model/figure.ts';
import { buildGraph } from '../../src/engine/graph.ts';
import { replay, schedule } from '../../src/engine/replay.ts';
import type { Program } from '../../src/engine/program.ts';
import { summarize } from '../../src/stats/stats.ts';
import { ClusterTarget } from '../../src/model/cluster.ts';
import { WaferTarget } from '../../src/model/wafer.ts';
import { matmulOp, type ComputeOp } from '../../src/ops/index.ts';
import { parseQuery } from '../../src/config/params.ts';
import { planSide, sideLayout } from '../../src/model/predict.ts';
import { checkFloors, FloorError, targetsFor, timingOf } from '../../src/model/project.ts';

/** Every figure in a preset, by path: any object with a numeric `value` is one (so a figure that lacks a field is found). */
function figures(x: unknown, path = ''): [string, Figure][] {
  if (x && typeof x === 'object' && typeof (x as { value?: unknown }).value === 'number') return [[path, x as Figure]];
  if (x && typeof x === 'object') return Object.entries(x).flatMap(([k, v]) => figures(v, `${path}.${k}`));
  return [];
}

/** Characters of a figure's text field, 0 where it is missing or blank. */
const text = (s: unknown): number => (typeof s === 'string' ? s.trim().length : 0);

describe('hardware figures', () => {
  const registries = { kGpuPresets, kLinkPresets, kFabricPresets };
  const all = Object.entries(registries).flatMap(([r, presets]) => figures(presets, r));
  it('every figure of every preset has a unit, a meaning and a source, and lies in its band', () => {
    expect(all.length).toBeGreaterThan(60);
    for (const [name, f] of all) {
      expect(text(f.unit), `${name}: unit`).toBeGreaterThan(0);
      expect(text(f.means), `${name}: meaning`).toBeGreaterThan(8);
      expect(text(f.source), `${name}: source`).toBeGreaterThan(15);
      expect(f.low <= f.value && f.value <= f.high, `${name}: band`).toBe(true);
    }
    // The walk reaches every preset: each has figures of its own.
    for (const [r, presets] of Object.entries(registries))
      for (const [name, preset] of Object.entries(presets)) expect(figures(preset).length, `${r}.${name}`).toBeGreaterThanOrEqual(2);
  });

  it('peaks are dense and per device; bandwidths per direction', () => {
    expect(kGpuPresets.h100.peak.bf16.value).toBe(989); // the datasheet's 1,979 is with sparsity
    expect(kLinkPresets.nvlink4.lineGBs.value).toBe(450); // "900 GB/s" counts both directions
    expect(kLinkPresets['mi300x-if'].lineGBs.value).toBe(64); // "128 GB/s" per link counts both directions
    for (const g of Object.values(kGpuPresets)) for (const p of kPrecisions) expect(g.peak[p].means).not.toMatch(/sparse peak/);
    // The WSE-3 "125 PFLOP/s" is not used as a dense rate; its band covers the estimates from per-core rates.
    expect(kFabricPresets.wse3.peak.bf16.value).toBeLessThan(125_000 / 4);
    expect(kFabricPresets.wse3.peak.bf16.high).toBeGreaterThan(kFabricPresets.wse3.peak.bf16.low * 4);
  });

  it('a scenario takes the fast or slow end of a band by which end is faster', () => {
    const lat = kGpuPresets.h100.launchUs;
    expect(at(lat, 'fast', 'low')).toBe(lat.low);
    expect(at(lat, 'slow', 'low')).toBe(lat.high);
    expect(at(kGpuPresets.h100.etaCompute, 'fast', 'high')).toBe(kGpuPresets.h100.etaCompute.high);
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

describe('event-driven replay', () => {
  const g = buildGraph(program);
  const timing = (d: Record<string, number>, hold?: number) => (n: (typeof g.nodes)[number]) =>
    n.kind === 'comm'
      ? { dur: d.comm!, hold, resources: ['tx0', 'rx1'] }
      : n.kind === 'compute'
        ? { dur: d[n.op.label]!, resources: [`cu${n.unit}`] }
        : { dur: 0, resources: [] };

  it('exposed communication is what the step loses to it: T − T(transfers free)', () => {
    // c0 [0,2] → comm [2,7] → a1 [7,8]; c1 [0,1]; c0b [2,4] overlaps the transfer on unit 0.
    const r = replay(g, timing({ c0: 2, c1: 1, c0b: 2, a1: 1, comm: 5 }));
    expect(r.step).toBe(8);
    expect(r.stepFree).toBe(4);
    expect(r.exposedComm).toBe(4);
    expect(r.compute).toBe(4);
    expect(r.comm).toBe(5);
  });

  it('a compute-bound step has no exposed communication', () => {
    const r = replay(g, timing({ c0: 1, c1: 10, c0b: 2, a1: 1, comm: 1 }));
    expect(r.step).toBe(11);
    expect(r.exposedComm).toBe(0);
  });

  it('a unit runs one kernel at a time', () => {
    const r = replay(g, timing({ c0: 2, c1: 1, c0b: 2, a1: 1, comm: 0 }));
    const c0b = g.nodes.find((n) => n.kind === 'compute' && n.op.label === 'c0b')!;
    expect(r.nodes[c0b.id]!.start).toBe(2);
  });

  it('concurrent messages overlap their latency: a port is held for the occupancy only', () => {
    // Three sends from unit 0: each holds tx0 for 1 and arrives 10 later. Queued: 1 + 1 + 1 + 10, not 3 × 11.
    const fan: Program = {
      units: 4,
      buffers: [{ x: 4 }, { x: 4 }, { x: 4 }, { x: 4 }],
      ops: [[1, 2, 3].map((to) => ({ kind: 'send' as const, to: [to], buf: 'x', off: 0, count: 4, tag: to, label: `s${to}` })), [], [], []],
    };
    for (const to of [1, 2, 3]) fan.ops[to]!.push({ kind: 'recv', from: 0, buf: 'x', off: 0, count: 4, tag: to, label: `s${to}` });
    const fg = buildGraph(fan);
    const r = schedule(fg, (n) =>
      n.kind === 'comm' ? { dur: 11, hold: 1, resources: ['tx0', `rx${n.recvs[0]!.unit}`] } : { dur: 0, resources: [] },
    );
    expect(r.step).toBe(13);
    expect(r.nodes.map((s) => s.start).sort()).toEqual([0, 1, 2]);
  });

  it('the ready node that can start earliest goes first, not the one first in program order', () => {
    // Unit 0: a long kernel, then a send that needs nothing from it; the send should not wait behind it.
    const p: Program = {
      units: 2,
      buffers: [{ a: 4, b: 4 }, { b: 4 }],
      ops: [
        [
          { kind: 'gelu', buf: 'a', off: 0, count: 4, label: 'long' },
          { kind: 'send', to: [1], buf: 'b', off: 0, count: 4, tag: 1, label: 's' },
        ],
        [{ kind: 'recv', from: 0, buf: 'b', off: 0, count: 4, tag: 1, label: 's' }],
      ],
    };
    const pg = buildGraph(p);
    const r = schedule(pg, (n) => (n.kind === 'comm' ? { dur: 3, resources: ['tx0', 'rx1'] } : { dur: 10, resources: ['cu0'] }));
    expect(r.step).toBe(10);
    expect(r.nodes[pg.nodes.findIndex((n) => n.kind === 'comm')]!.start).toBe(0);
  });
});

describe('rooflines and floors', () => {
  const h100 = new ClusterTarget(
    { gpu: kGpuPresets.h100, link: kLinkPresets.nvlink4, scaleout: kLinkPresets['ib-ndr'], gpusPerNode: 8, units: 1, precision: 'bf16' },
    'mid',
  );
  const g = kGpuPresets.h100;
  it('a large GEMM on a GPU is compute-bound: launch + 2mnk / (η_c·peak)', () => {
    const op = matmulOp('a', 'b', 'c', [8192, 8192, 8192], 'big');
    expect(h100.kernelUs(op)).toBeCloseTo(g.launchUs.value + ((2 * 8192 ** 3) / (g.etaCompute.value * g.peak.bf16.value * 1e12)) * 1e6, 6);
  });
  it('a GEMV on a GPU is memory-bound: launch + weight bytes / (η_m·HBM)', () => {
    const op = matmulOp('x', 'w', 'y', [1, 8192, 8192], 'gemv');
    const bytes = (8192 + 8192 * 8192 + 8192) * 2;
    expect(h100.kernelUs(op)).toBeCloseTo(g.launchUs.value + (bytes / (g.etaMemory.value * g.memGBs.value * 1e9)) * 1e6, 6);
  });
  it('no GPU kernel is shorter than its launch, however small', () => {
    expect(h100.kernelUs({ kind: 'add', dst: 'a', offDst: 0, src: 'b', offSrc: 0, count: 1, label: 'tiny' })).toBeGreaterThanOrEqual(
      g.launchUs.value,
    );
  });
  it('a whole-wafer GEMM still pays its pipeline fill across the wafer and a reduction phase (v1 printed 1.4 ns for 512³)', () => {
    const f = kFabricPresets.wse3;
    const w = new WaferTarget({ fabric: f, mesh: { rows: 1, cols: 1 }, precision: 'bf16' }, 'mid');
    const cyclesPerUs = f.clockGHz.value * 1e3;
    const fill = ((f.width.value + f.height.value) * f.cyclesPerHop.value + f.phaseCycles.value) / cyclesPerUs;
    const t = w.kernelUs(matmulOp('a', 'b', 'c', [512, 512, 512], '512'));
    expect(w.kernelFloorUs(matmulOp('a', 'b', 'c', [512, 512, 512], '512'))).toBeCloseTo(fill, 9);
    // Attention's four phases (scores, softmax max and sum, weighted values); an elementwise add only its ramps.
    const attention: ComputeOp = {
      ...{ kind: 'attention', q: 'q', offQ: 0, k: 'k', offK: 0, v: 'v', offV: 0, out: 'o', offOut: 0 },
      ...{ batch: 1, queries: 1, heads: 8, kvHeads: 8, headDim: 64, past: 7, ctx: 8, label: 'attention' },
    };
    expect(w.kernelFloorUs(attention)).toBeCloseTo(fill + (3 * f.phaseCycles.value) / cyclesPerUs, 9);
    const add = { kind: 'add', dst: 'a', offDst: 0, src: 'b', offSrc: 0, count: 8, label: 'add' } as const;
    expect(w.kernelFloorUs(add)).toBeCloseTo((2 * f.rampCycles.value) / cyclesPerUs, 9);
    expect(t).toBeGreaterThan(fill);
    expect(t).toBeGreaterThan(1); // µs, not ns
  });
});

describe('the floor check catches a replay that breaks physics', () => {
  // A 3-layer MLP on 4 H100s over NVLink: a kernel per layer and unit, and all-reduces on the same ports one after
  // another. The honest replay passes; each broken copy is refused with the floor it breaks.
  const c = parseQuery('workload=mlp&layers=3&mode=cluster&shards=4').config;
  const layout = sideLayout(c, 'cluster');
  const target = targetsFor(c, layout).mid;
  const g = buildGraph(planSide(c, layout).program);
  const honest = () => replay(g, timingOf(target));
  const first = (kind: 'compute' | 'collective') => g.nodes.findIndex((n) => n.kind === kind);

  it('the replay as scheduled passes', () => {
    expect(() => checkFloors(g, honest(), target)).not.toThrow();
  });

  it('a kernel shorter than its launch and fill is refused', () => {
    const r = honest();
    r.nodes[first('compute')]!.dur *= 0.5;
    expect(() => checkFloors(g, r, target)).toThrow(FloorError);
    expect(() => checkFloors(g, r, target)).toThrow(/under its floor/);
  });

  it('a collective shorter than its latency is refused', () => {
    const r = honest();
    r.nodes[first('collective')]!.dur = 0;
    expect(() => checkFloors(g, r, target)).toThrow(/under its latency/);
  });

  it('two collectives on one port at once are refused', () => {
    const r = honest();
    const colls = g.nodes.filter((n) => n.kind === 'collective').map((n) => n.id);
    expect(colls.length).toBeGreaterThan(1);
    r.nodes[colls[1]!]!.start = r.nodes[colls[0]!]!.start;
    expect(() => checkFloors(g, r, target)).toThrow(/carries two transfers at once/);
  });
});

describe('stats', () => {
  it('summarizes with interpolated quantiles', () => {
    expect(summarize([5, 1, 3, 2, 4])).toEqual({ median: 3, p10: 1.4, p90: 4.6, min: 1, max: 5, samples: 5 });
    expect(summarize([]).samples).toBe(0);
  });
});
