// Links between the units of a cluster: topology, line rate and the bandwidth collectives achieve on it, and how
// latency is charged (NCCL's tuning model by hardware class, or a fixed base and per-hop cost). One record per
// link; the `link` and `scaleout` parameters list these names.

import { fig, type Figure } from '../figure.ts';
import type { GpuName } from './gpus.ts';

/**
 * switch: every device has one port (per direction) into a non-blocking switch (NVSwitch, an IB fat tree), one hop
 * to anyone. mesh: a direct link from every device to every other (MI300X Infinity Fabric). torus: links to the
 * neighbours of a 3D torus (TPU ICI).
 */
type Topology = 'switch' | 'mesh' | 'torus';

/** NCCL's hardware classes for its per-step latency table (src/graph/tuning.cc, hwLat). */
export type NcclHw = 'nvlink' | 'pci' | 'net';

export interface LinkPreset {
  name: string;
  label: string;
  topology: Topology;
  /** Line rate per direction: of a device's port (switch), of one peer link (mesh), of one torus link (torus). GB/s. */
  lineGBs: Figure;
  /** Links per device (mesh: peers; torus: neighbours; switch: 1). */
  links: number;
  /**
   * Bandwidth per device per direction that a collective's messages achieve at large sizes (nccl-tests busbw),
   * GB/s. For a torus, per link and per direction (collectives use both directions of every axis in use).
   */
  busGBs: Figure;
  /** Bandwidth one point-to-point message gets on its own link (mesh), GB/s per direction. */
  p2pGBs?: Figure;
  /** A switch that reduces (NVLink SHARP): its all-reduce latency and achieved bus bandwidth, inside one node. */
  nvls?: { latencyUs: Figure; busGBs: Figure };
  /** How latency is charged: NCCL's model for a hardware class, or a fixed per-collective base and per-hop cost. */
  latency: { kind: 'nccl'; hw: NcclHw } | { kind: 'fixed'; baseUs: Figure; hopUs: Figure };
  /** The unit this link usually joins. */
  gpu: GpuName;
  /** The base latency already includes launching the collective's kernel (a link fitted to measurements). */
  launchIncluded?: boolean;
}

const nvlink4: LinkPreset = {
  name: 'nvlink4',
  label: 'NVLink 4 through NVSwitch (H100/H200, inside a node)',
  topology: 'switch',
  lineGBs: fig(
    450,
    'GB/s',
    'per GPU per direction: 18 links × 25 GB/s ("900 GB/s" counts both directions)',
    'NVIDIA H100 spec table "NVLink: 900GB/s"; "How to Scale Your Model", GPUs chapter: 18 × 25 = 450 GB/s full-duplex',
  ),
  links: 1,
  busGBs: fig(
    370,
    'GB/s',
    'achieved all-reduce busbw at large sizes, ring, per GPU per direction (NVLink SHARP, ~479 GB/s, is the nvls figure below, taken with collective=nvls)',
    '"How to Scale Your Model", GPUs chapter: "it is difficult in practice to exceed 370 GB/s" for an 8×H100 all-reduce without SHARP',
    [340, 380],
  ),
  latency: { kind: 'nccl', hw: 'nvlink' },
  nvls: {
    latencyUs: fig(
      25,
      'µs',
      'once per NVLS collective (all-reduce, reduce-scatter or all-gather inside one node), whatever the size (NCCL: hwLat[NVLink][NVLS][Simple], no base)',
      'NCCL src/graph/tuning.cc v2.21.5-1 hwLat NVLINK row "/* NVLS */ { 0, 0, 25 }"; v2.18.3 charged 23 µs as baseLat',
      [23, 25],
    ),
    busGBs: fig(
      479,
      'GB/s',
      'achieved all-reduce busbw with NVLink SHARP at large sizes, per GPU per direction (nccl-tests busbw)',
      'Azure AI-benchmarking-guide, ND H100 v5 NCCL all-reduce: 478.87 GB/s busbw at 8 GB (in-place); NCCL maintainer in nccl-tests#290: "476GB/s looks to be in the expected range for H100"',
      [440, 480],
    ),
  },
  gpu: 'h100',
};

const ibNdr: LinkPreset = {
  name: 'ib-ndr',
  label: 'InfiniBand NDR 400 Gb/s, one ConnectX-7 per GPU (between nodes)',
  topology: 'switch',
  lineGBs: fig(
    50,
    'GB/s',
    'per GPU per direction: one 400 Gb/s NIC',
    'DGX H100 spec: "8x single-port NVIDIA ConnectX-7 VPI (Up to 400Gb/s InfiniBand/Ethernet)"; "How to Scale Your Model": NDR 50 GB/s full-duplex',
  ),
  links: 1,
  busGBs: fig(
    46,
    'GB/s',
    'achieved per NIC per direction at large sizes',
    'NCCL maintainer in NVIDIA/nccl-tests#290: "For NDR @ 400Gbps you should see 46-48GB/s per NIC"',
    [40, 48],
  ),
  latency: { kind: 'nccl', hw: 'net' },
  gpu: 'h100',
};

const pcie5: LinkPreset = {
  name: 'pcie5',
  label: 'PCIe 5.0 x16 through a PCIe switch or the host',
  topology: 'switch',
  lineGBs: fig(
    63,
    'GB/s',
    'per GPU per direction: 32 GT/s × 16 lanes × 128b/130b ("128 GB/s" counts both)',
    'PCIe 5.0 specification arithmetic',
  ),
  links: 1,
  busGBs: fig(
    50,
    'GB/s',
    'achieved collective bandwidth per GPU per direction',
    'no published NCCL figure for PCIe 5.0: 80% of line rate (40–55 GB/s) [assumption]',
    [40, 55],
  ),
  latency: { kind: 'nccl', hw: 'pci' },
  gpu: 'h100',
};

const eth100g: LinkPreset = {
  name: 'eth100g',
  label: '100 GbE (commodity cluster)',
  topology: 'switch',
  lineGBs: fig(12.5, 'GB/s', 'per GPU per direction: 100 Gb/s line rate', '100 GbE line rate'),
  links: 1,
  busGBs: fig(11, 'GB/s', 'achieved per NIC per direction', 'no published figure: 75–95% of line rate (9–12 GB/s) [assumption]', [9, 12]),
  latency: { kind: 'nccl', hw: 'net' },
  gpu: 'h100',
};

const kXgmi =
  'AMD ROCm blog "Understanding RCCL Bandwidth and xGMI Performance on AMD Instinct MI300X" (2025): "xGMI\'s raw bandwidth is rated up to 64 GB/s for each point-to-point link", 45–48 GB/s usable; AMD\'s "128 GB/s" per link counts both directions (ROCm/rccl#1210)';
const mi300xIf: LinkPreset = {
  name: 'mi300x-if',
  label: 'AMD Infinity Fabric (xGMI), 8 MI300X fully connected',
  topology: 'mesh',
  lineGBs: fig(64, 'GB/s', 'per peer link per direction, raw; 7 links per GPU', kXgmi),
  links: 7,
  busGBs: fig(
    319,
    'GB/s',
    'achieved all-reduce busbw over the 7 links at large sizes, per GPU per direction',
    'same AMD ROCm blog: rccl-tests all_reduce_perf on 8×MI300X, 318.98 GB/s busbw at 16 GiB; "effectively capped at 310-330 GB/s"',
    [300, 330],
  ),
  p2pGBs: fig(
    47,
    'GB/s',
    'one message on its own peer link, per direction, after protocol and CRC overheads',
    `${kXgmi}; TransferBench 45.1–47.2 GB/s per link`,
    [45, 48],
  ),
  latency: { kind: 'nccl', hw: 'nvlink' },
  gpu: 'mi300x',
};

const tpuIci: LinkPreset = {
  name: 'tpu-v5p-ici',
  label: 'Google TPU v5p ICI (3D torus)',
  topology: 'torus',
  lineGBs: fig(
    90,
    'GB/s',
    'per link per direction; 6 links per chip',
    '"How to Scale Your Model", TPUs chapter: v5p 9e10 B/s one-way per link (Google docs: 1200 GB/s bidirectional per chip = 100 per link per direction)',
    [90, 100],
  ),
  links: 6,
  busGBs: fig(
    90,
    'GB/s',
    'per link per direction achieved by collectives, which use both directions of every torus axis in use',
    '"How to Scale Your Model", sharding chapter: AllGather ≈ V / W_bidirectional per axis, AllReduce twice that; ~92 GB/s per ICI link seen by a third-party Pallas project [secondary]',
    [80, 95],
  ),
  latency: {
    kind: 'fixed',
    baseUs: fig(
      3,
      'µs',
      'per collective, launch and synchronization in a compiled XLA program',
      '"How to Scale Your Model", sharding chapter: a latency-bound AllGather on TPU v5e predicted ~3 µs, "In practice, it\'s closer to 8us" [band 1–8]',
      [1, 8],
    ),
    hopUs: fig(
      1,
      'µs',
      'per ICI hop, whatever the size',
      '"How to Scale Your Model", sharding chapter: "Each hop over an ICI link has some intrinsic overhead … typically around 1us"',
      [0.5, 1.5],
    ),
  },
  gpu: 'tpu-v5p',
};

export const kLinkPresets = Object.freeze({
  nvlink4,
  'ib-ndr': ibNdr,
  pcie5,
  eth100g,
  'mi300x-if': mi300xIf,
  'tpu-v5p-ici': tpuIci,
} satisfies Record<string, LinkPreset>);
