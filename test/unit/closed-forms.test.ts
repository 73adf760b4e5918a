// The collective cost models against closed forms and against a message-by-message replay of the very
// schedules the workers run: α–β formulas (Thakur, Rabenseifner, Gropp 2005) with NCCL's latencies, on one node,
// across nodes, on a fully connected mesh, and between wafer tiles.

import { describe, expect, it } from 'vitest';
import { ClusterTarget } from '../../src/model/cluster.ts';
import { WaferTarget } from '../../src/model/wafer.ts';
import { kGpuPresets } from '../../src/model/hardware/gpus.ts';
import { kLinkPresets } from '../../src/model/hardware/links.ts';
import { kFabricPresets } from '../../src/model/hardware/fabrics.ts';
import { kBaseLatUs, kHwLatUs, type Protocol } from '../../src/model/nccl.ts';
import type { AlgorithmName, CollectiveKind } from '../../src/collectives/index.ts';
import { alone, messageLevelUs } from './message-level.ts';

const h100 = kGpuPresets.h100;
const cluster = (units: number, link = kLinkPresets.nvlink4, gpusPerNode = 8) =>
  new ClusterTarget(
    {
      gpu: link.name === 'mi300x-if' ? kGpuPresets.mi300x : h100,
      link,
      scaleout: kLinkPresets['ib-ndr'],
      gpusPerNode,
      units,
      precision: 'bf16',
    },
    'mid',
  );
const group = (p: number) => [...Array(p).keys()];

describe('cluster collectives equal their message-by-message replay', () => {
  const cases: [CollectiveKind, AlgorithmName, number, number][] = [
    ['allreduce', 'ring', 8, 1 << 20],
    ['allreduce', 'ring', 8, 64],
    ['allreduce', 'rhd', 8, 1 << 20],
    ['allreduce', 'direct', 8, 1 << 20],
    ['reducescatter', 'ring', 8, 1 << 18],
    ['allgather', 'ring', 8, 1 << 18],
    ['reducescatter', 'rhd', 4, 1 << 18],
    ['allgather', 'direct', 4, 1 << 18],
  ];
  for (const [op, algorithm, p, count] of cases) {
    it(`${op} ${algorithm} over ${p} H100s, ${count} elements`, () => {
      const t = cluster(p);
      const { op: c } = alone(p, { op, algorithm, group: group(p), buf: 'x', off: 0, count, scratch: 'scratch', label: 'c' });
      const cost = t.collective(c);
      const proto = cost.protocol as Protocol;
      const replayed = t.baseUs(proto, false) + messageLevelUs(p, c, 2, t.pair(c, proto));
      expect(cost.us).toBeCloseTo(replayed, 6);
    });
  }

  it('a ring across two nodes (NICs striped by channels) equals its replay', () => {
    const t = cluster(16);
    const { op: c } = alone(16, {
      op: 'allreduce',
      algorithm: 'ring',
      group: group(16),
      buf: 'x',
      off: 0,
      count: 1 << 22,
      scratch: 'scratch',
      label: 'c',
    });
    const cost = t.collective(c);
    const proto = cost.protocol as Protocol;
    expect(cost.us).toBeCloseTo(t.baseUs(proto, true) + messageLevelUs(16, c, 2, t.pair(c, proto)), 6);
  });

  it('halving-doubling across two nodes equals its replay', () => {
    const t = cluster(16);
    const { op: c } = alone(16, {
      op: 'allreduce',
      algorithm: 'rhd',
      group: group(16),
      buf: 'x',
      off: 0,
      count: 1 << 20,
      scratch: 'scratch',
      label: 'c',
    });
    const cost = t.collective(c);
    const proto = cost.protocol as Protocol;
    expect(cost.us).toBeCloseTo(t.baseUs(proto, true) + messageLevelUs(16, c, 2, t.pair(c, proto)), 6);
  });

  it('direct on the fully connected MI300X mesh sends over all 7 links at once', () => {
    const t = cluster(8, kLinkPresets['mi300x-if']);
    const { op: c } = alone(8, {
      op: 'allreduce',
      algorithm: 'direct',
      group: group(8),
      buf: 'x',
      off: 0,
      count: 1 << 22,
      scratch: 'scratch',
      label: 'c',
    });
    const cost = t.collective(c);
    const proto = cost.protocol as Protocol;
    expect(cost.us).toBeCloseTo(t.baseUs(proto, false) + messageLevelUs(8, c, 2, t.pair(c, proto)), 6);
    // Each phase is one 1/8 slice per link, in parallel: not 7 slices through one port.
    const slice = ((1 << 22) * 2) / 8;
    const B = kLinkPresets['mi300x-if'].p2pGBs!.value;
    expect(cost.us).toBeLessThan(t.baseUs(proto, false) + 2 * (kHwLatUs.nvlink[proto] + (2 * slice) / (B * 1e3)));
  });
});

describe('closed forms, written out (α–β with NCCL latencies, 8 × H100 over NVLink 4)', () => {
  const p = 8;
  const t = cluster(p);
  const launch = h100.launchUs.value;
  const B = kLinkPresets.nvlink4.busGBs.value; // GB/s = 1e3 bytes/µs
  const S = 256 * 2 ** 20; // 256 MiB of bf16: Simple is fastest

  it('ring all-reduce = launch + baseLat + 2(p−1)(hwLat + S/p/B)', () => {
    const { op: c } = alone(p, {
      op: 'allreduce',
      algorithm: 'ring',
      group: group(p),
      buf: 'x',
      off: 0,
      count: S / 2,
      scratch: 's',
      label: 'c',
    });
    const want = launch + kBaseLatUs.Simple + 2 * (p - 1) * (kHwLatUs.nvlink.Simple + S / p / (B * 1e3));
    expect(t.collective(c)).toMatchObject({ protocol: 'Simple' });
    expect(t.collective(c).us).toBeCloseTo(want, 6);
  });

  it('halving-doubling all-reduce = launch + baseLat + 2·Σ_d (hwLat + S·d/p/B)', () => {
    const { op: c } = alone(p, {
      op: 'allreduce',
      algorithm: 'rhd',
      group: group(p),
      buf: 'x',
      off: 0,
      count: S / 2,
      scratch: 's',
      label: 'c',
    });
    let want = launch + kBaseLatUs.Simple;
    for (let d = p / 2; d >= 1; d /= 2) want += 2 * (kHwLatUs.nvlink.Simple + (S * d) / p / (B * 1e3));
    expect(t.collective(c).us).toBeCloseTo(want, 6);
  });

  it('direct on a switch = launch + baseLat + 2(hwLat + (p−1)·S/p/B): p−1 slices queue on one port', () => {
    const { op: c } = alone(p, {
      op: 'allreduce',
      algorithm: 'direct',
      group: group(p),
      buf: 'x',
      off: 0,
      count: S / 2,
      scratch: 's',
      label: 'c',
    });
    const want = launch + kBaseLatUs.Simple + 2 * (kHwLatUs.nvlink.Simple + ((p - 1) * S) / p / (B * 1e3));
    expect(t.collective(c).us).toBeCloseTo(want, 6);
  });

  it('a tiny all-reduce takes LL: launch + 6.6 + 14 × 0.6 µs, once per collective, not per message', () => {
    const { op: c } = alone(p, {
      op: 'allreduce',
      algorithm: 'ring',
      group: group(p),
      buf: 'x',
      off: 0,
      count: 4,
      scratch: 's',
      label: 'c',
    });
    const cost = t.collective(c);
    expect(cost.protocol).toBe('LL');
    // 8 bytes over 14 steps add under a nanosecond each.
    expect(cost.us).toBeCloseTo(launch + 6.6 + 14 * 0.6, 2);
  });

  it('NVLink SHARP all-reduce = launch + 25 µs + 2(p−1)/p·S / busbw(NVLS)', () => {
    const { op: c } = alone(p, {
      op: 'allreduce',
      algorithm: 'nvls',
      group: group(p),
      buf: 'x',
      off: 0,
      count: S / 2,
      scratch: 's',
      label: 'c',
    });
    const sharp = kLinkPresets.nvlink4.nvls!;
    expect(t.collective(c).us).toBeCloseTo(launch + sharp.latencyUs.value + (((2 * (p - 1)) / p) * S) / (sharp.busGBs.value * 1e3), 6);
  });

  it('NCCL ring broadcast is pipelined: launch + baseLat + (p−1)·hwLat + S/B', () => {
    const { op: c } = alone(p, {
      op: 'broadcast',
      algorithm: 'ring',
      group: group(p),
      root: 3,
      src: { buf: 'a', off: 0 },
      buf: 'x',
      off: 0,
      count: S / 2,
      label: 'c',
    });
    expect(t.collective(c).us).toBeCloseTo(launch + kBaseLatUs.Simple + (p - 1) * kHwLatUs.nvlink.Simple + S / (B * 1e3), 6);
  });
});

describe('closed forms across nodes: 8 single-GPU hosts on 100 GbE', () => {
  const p = 8;
  const eth = kLinkPresets['eth100g'];
  const t = new ClusterTarget({ gpu: h100, link: kLinkPresets.nvlink4, scaleout: eth, gpusPerNode: 1, units: p, precision: 'bf16' }, 'mid');
  const S = 256 * 2 ** 20;

  it("ring all-reduce = launch + baseLat + 2(p−1)(hwLat(net) + S/p/B), B the NIC's achieved 11 GB/s", () => {
    const { op: c } = alone(p, {
      op: 'allreduce',
      algorithm: 'ring',
      group: group(p),
      buf: 'x',
      off: 0,
      count: S / 2,
      scratch: 's',
      label: 'c',
    });
    const B = eth.busGBs.value;
    expect(B).toBe(11);
    expect(eth.latency).toEqual({ kind: 'nccl', hw: 'net' });
    const want = h100.launchUs.value + kBaseLatUs.Simple + 2 * (p - 1) * (kHwLatUs.net.Simple + S / p / (B * 1e3));
    expect(t.collective(c)).toMatchObject({ protocol: 'Simple' });
    expect(t.collective(c).us).toBeCloseTo(want, 6);
    // The same all-reduce inside an NVLink node is over 30 times faster.
    expect(t.collective(c).us / cluster(p).collective(c).us).toBeGreaterThan(30);
  });
});

describe('wafer collectives pay core hops and tile-edge bandwidth', () => {
  const wse3 = kFabricPresets.wse3;
  const ghz = wse3.clockGHz.value;
  const link = (wse3.linkBytesPerCycle.value * ghz) / 1; // GB/s per link per direction
  const ramp = (2 * wse3.rampCycles.value) / (ghz * 1e3);

  it('a ring along a row of 4 tiles equals its replay, every edge at most two tiles long', () => {
    const t = new WaferTarget({ fabric: wse3, mesh: { rows: 1, cols: 4 }, precision: 'bf16' }, 'mid');
    const ring = [0, 2, 3, 1];
    const { op: c } = alone(4, {
      op: 'allreduce',
      algorithm: 'ring',
      group: ring,
      buf: 'x',
      off: 0,
      count: 1 << 20,
      scratch: 's',
      label: 'c',
    });
    expect(t.collective(c).us).toBeCloseTo(
      messageLevelUs(4, c, 2, (a, b) => t.hop(a, b)),
      6,
    );
  });

  it('a ring through a 2×4 mesh of tiles equals its replay', () => {
    const t = new WaferTarget({ fabric: wse3, mesh: { rows: 2, cols: 4 }, precision: 'bf16' }, 'mid');
    const ring = [0, 1, 2, 3, 7, 6, 5, 4];
    const { op: c } = alone(8, {
      op: 'allreduce',
      algorithm: 'ring',
      group: ring,
      buf: 'x',
      off: 0,
      count: 1 << 20,
      scratch: 's',
      label: 'c',
    });
    expect(t.collective(c).us).toBeCloseTo(
      messageLevelUs(8, c, 2, (a, b) => t.hop(a, b)),
      6,
    );
  });

  it('a multicast along a row: the farthest tile in core hops, then S over the tile height in links', () => {
    const t = new WaferTarget({ fabric: wse3, mesh: { rows: 2, cols: 4 }, precision: 'bf16' }, 'mid');
    const S = 1 << 22;
    const { op: c } = alone(8, {
      op: 'broadcast',
      algorithm: 'ring',
      group: [4, 5, 6, 7],
      root: 4,
      src: { buf: 'a', off: 0 },
      buf: 'x',
      off: 0,
      count: S / 2,
      label: 'c',
    });
    const tileRows = wse3.height.value / 2;
    const tileCols = wse3.width.value / 4;
    const farthest = (3 * tileCols * wse3.cyclesPerHop.value) / (ghz * 1e3) + ramp;
    const want = farthest + S / (tileRows * link * 1e3);
    expect(t.collective(c).us).toBeCloseTo(want, 6);
    expect(t.collective(c).us).toBeCloseTo(
      messageLevelUs(8, c, 2, (a, b) => t.hop(a, b), true),
      6,
    );
  });

  it('one hop across a tile costs its width in cores, not one cycle', () => {
    const t = new WaferTarget({ fabric: wse3, mesh: { rows: 2, cols: 2 }, precision: 'bf16' }, 'mid');
    expect(t.hop(0, 1).L).toBeCloseTo(((wse3.width.value / 2) * wse3.cyclesPerHop.value) / (ghz * 1e3) + ramp, 9);
    expect(t.hop(0, 2).L).toBeCloseTo(((wse3.height.value / 2) * wse3.cyclesPerHop.value) / (ghz * 1e3) + ramp, 9);
  });
});
