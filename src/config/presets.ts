// Hardware presets for the link model: published figures, each number with its source.

import type { FabricName, LinkName } from './params.ts';

export interface LinkPreset {
  name: string;
  label: string;
  /** Target peak compute of one device (a GPU, or the whole wafer for a fabric), TFLOP/s dense BF16. */
  tflops: number;
  /** Bandwidth per device per direction, GB/s (decimal); for a fabric, per core per link per direction. */
  gbps: number;
  /** Latency per message (links) or per hop (fabric), µs. */
  alphaUs: number;
  source: string;
}

export interface FabricPreset extends LinkPreset {
  /** Cores on the whole wafer; a tile of R×C owns cores/(R·C) of them. */
  cores: number;
}

export const kLinkPresets: Readonly<Record<Exclude<LinkName, 'measured' | 'custom'>, LinkPreset>> = Object.freeze({
  nvlink4: {
    name: 'nvlink4',
    label: 'H100/H200 SXM over NVLink 4 (inside a node)',
    tflops: 989,
    gbps: 450,
    alphaUs: 7.5,
    source:
      'NVIDIA H100 datasheet: 989 TFLOP/s BF16 dense; 18 NVLink 4 links × 25 GB/s = 450 GB/s per direction ("900 GB/s" counts both). Latency: NCCL tuning model, about 6.6–8.4 µs base.',
  },
  'ib-ndr': {
    name: 'ib-ndr',
    label: 'H100 across nodes over InfiniBand NDR 400 Gb/s',
    tflops: 989,
    gbps: 50,
    alphaUs: 8,
    source:
      'NVIDIA H100 datasheet (989 TFLOP/s BF16 dense); one ConnectX-7 NDR 400 Gb/s per GPU = 50 GB/s per direction; NCCL network steps about 2.7–14 µs.',
  },
  pcie5: {
    name: 'pcie5',
    label: 'H100 on a PCIe 5.0 x16 host link',
    tflops: 989,
    gbps: 63,
    alphaUs: 3,
    source: 'PCIe 5.0 spec arithmetic: 32 GT/s × 16 lanes × 128b/130b ≈ 63 GB/s per direction ("128 GB/s" counts both); latency a few µs.',
  },
  eth100g: {
    name: 'eth100g',
    label: 'H100 on commodity 100 GbE',
    tflops: 989,
    gbps: 12.5,
    alphaUs: 30,
    source: '100 GbE line rate = 12.5 GB/s per direction; latency tens of µs (30 µs assumed).',
  },
  'mi300x-if': {
    name: 'mi300x-if',
    label: 'AMD MI300X over Infinity Fabric (8 GPUs, fully connected)',
    tflops: 1307,
    gbps: 64,
    alphaUs: 3,
    source:
      'AMD ROCm MI300 docs: 1307 TFLOP/s BF16 dense; 7 links per GPU at 128 GB/s peak each, 896 GB/s aggregate. Direction is not stated [unverified]: taken as bidirectional, so one peer link = 64 GB/s per direction.',
  },
  'tpu-v5p-ici': {
    name: 'tpu-v5p-ici',
    label: 'Google TPU v5p over ICI (3D torus)',
    tflops: 459,
    gbps: 100,
    alphaUs: 1,
    source:
      'Google Cloud TPU v5p docs: 459 TFLOP/s BF16; 6 ICI links of about 100 GB/s per direction (1200 GB/s bidirectional per chip); about 1 µs per hop. One neighbour link is used per transfer.',
  },
});

export const kFabricPresets: Readonly<Record<Exclude<FabricName, 'measured' | 'custom'>, FabricPreset>> = Object.freeze({
  wse3: {
    name: 'wse3',
    label: 'Cerebras WSE-3 on-wafer fabric (2D mesh)',
    tflops: 125_000,
    gbps: 3.7,
    alphaUs: 1 / 1100,
    cores: 900_000,
    source:
      'Cerebras WSE-3 announcement (2024) via ALCF and press [secondary]: 125 PFLOP/s "peak AI" (precision stated inconsistently), 900,000 cores, 214 Pb/s fabric ≈ 30 GB/s per core over 4 neighbours × 2 directions ≈ 3.7 GB/s per link per direction [derived]; about one 1.1 GHz clock per hop [secondary].',
  },
});

/** What one emulated unit and its links look like in the link model. */
export interface UnitModel {
  /** Target compute of one unit, FLOP/s; null when links are measured. */
  flops: number | null;
  /** Bytes per second per direction across one link (a shard's NIC, or one tile edge). */
  bytesPerSec: number;
  /** Seconds per message (links) or per hop (fabric). */
  alphaSec: number;
  label: string;
  source: string;
}

/** The cluster side: one shard = one target device. Returns null for `link=measured`. */
export function linkUnit(link: LinkName, custom: { alpha: number | null; gbps: number | null; tflops: number | null }): UnitModel | null {
  if (link === 'measured') return null;
  if (link === 'custom') {
    return {
      flops: (custom.tflops ?? 0) * 1e12,
      bytesPerSec: (custom.gbps ?? 0) * 1e9,
      alphaSec: (custom.alpha ?? 0) * 1e-6,
      label: 'custom link',
      source: `custom: ${custom.tflops} TFLOP/s, ${custom.gbps} GB/s per direction, ${custom.alpha} µs`,
    };
  }
  const p = kLinkPresets[link];
  return { flops: p.tflops * 1e12, bytesPerSec: p.gbps * 1e9, alphaSec: p.alphaUs * 1e-6, label: p.label, source: p.source };
}

/**
 * The wafer side: one tile = 1/(R·C) of the wafer. A tile of c cores on a square mesh has √c cores along an edge,
 * so its edge bandwidth is √c × the per-core link bandwidth: bandwidth grows with the perimeter, compute with area.
 */
export function fabricUnit(
  fabric: FabricName,
  tiles: number,
  custom: { alpha: number | null; gbps: number | null; tflops: number | null },
): UnitModel | null {
  if (fabric === 'measured') return null;
  if (fabric === 'custom') {
    return {
      flops: ((custom.tflops ?? 0) * 1e12) / tiles,
      bytesPerSec: (custom.gbps ?? 0) * 1e9,
      alphaSec: (custom.alpha ?? 0) * 1e-6,
      label: 'custom fabric',
      source: `custom: wafer ${custom.tflops} TFLOP/s, ${custom.gbps} GB/s per direction per tile edge, ${custom.alpha} µs per hop`,
    };
  }
  const p = kFabricPresets[fabric];
  const edgeCores = Math.sqrt(p.cores / tiles);
  return {
    flops: (p.tflops * 1e12) / tiles,
    bytesPerSec: edgeCores * p.gbps * 1e9,
    alphaSec: p.alphaUs * 1e-6,
    label: `${p.label}, tile of ${Math.round(p.cores / tiles)} cores (${edgeCores.toFixed(0)} along an edge)`,
    source: p.source,
  };
}

/**
 * Balance-preserving transfer time in local milliseconds: s·(hops·α + b/B) with s = F_target / F_local, so that the
 * ratio of communication to compute matches the target system on any machine.
 */
export function transferMs(unit: UnitModel, localFlops: number, bytes: number, hops = 1): number {
  const s = (unit.flops ?? localFlops) / localFlops;
  return s * (hops * unit.alphaSec + bytes / unit.bytesPerSec) * 1e3;
}
