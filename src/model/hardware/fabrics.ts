// Wafer-scale systems: the fabric's size in cores, clock, cycles per core hop, link width, per-core compute, SRAM
// and its bandwidth, and system power and I/O — each a sourced figure, with a band where only estimates exist.
// One record per system; the `fabric` parameter lists these names.

import { fig, type Figure } from '../figure.ts';
import type { Precision } from './gpus.ts';

export interface FabricPreset {
  name: string;
  label: string;
  /** Fabric size in cores: width (x, columns) × height (y, rows). */
  width: Figure;
  height: Figure;
  clockGHz: Figure;
  /** Cycles for a wavelet to cross one core-to-core hop. */
  cyclesPerHop: Figure;
  /** Cycles to get a message from a core onto the fabric (and off it again at the far end). */
  rampCycles: Figure;
  /**
   * Fixed cycles of one reduce-and-broadcast phase inside a tile (a GEMV's partial sums, a norm's sum of squares,
   * softmax's max and sum), beyond its hops: ramps, task switches and the exchange between PE groups.
   */
  phaseCycles: Figure;
  /** Bytes one core-to-core link carries per cycle, per direction. */
  linkBytesPerCycle: Figure;
  /** Dense peak of the whole wafer per precision, TFLOP/s. */
  peak: Readonly<Record<Precision, Figure>>;
  /** Achieved fraction of the per-core peak on matmuls. */
  etaCompute: Figure;
  /** SRAM per core, KB (1000 bytes). */
  sramKB: Figure;
  /** SRAM bandwidth per core, GB/s. */
  sramGBs: Figure;
  /** Power of the whole system (wafer, cooling, power supplies, I/O), W. */
  watts: Figure;
  /** The system's external I/O between systems, GB/s per direction. */
  ioGBs: Figure;
  /** One message from a wafer to the next system's wafer: network and the systems' I/O paths, µs. */
  ioLatencyUs: Figure;
}

const kFabricDims =
  'WaferLLM (OSDI 2025) Decode/WSE-3/compile.py: "--arch=wse3 --fabric-dims=762,1172" (the dimensions real CS-3 hardware needs; 893,064 cores; Cerebras quotes 900,000)';
const kDense =
  'derived: cores × 8 FP16 FMACs per cycle [secondary: SDK-derived notes and Cerebras blog summaries give 8-wide FP16 SIMD on WSE-3, 4 on WSE-2] × 2 × 1.1 GHz = 15.7 PFLOP/s dense. The band runs from 8 PFLOP/s (4-wide SIMD: 7.9 at 1.1 GHz; 8-wide at 850 MHz would be 12.1) to 62.5 PFLOP/s (half of the "125 PFLOP/s peak AI" figure, as if it counted 2:4 sparsity)';

const wse3: FabricPreset = {
  name: 'wse3',
  label: 'Cerebras CS-3 (WSE-3)',
  width: fig(762, 'cores', 'fabric width (x)', kFabricDims),
  height: fig(1172, 'cores', 'fabric height (y)', kFabricDims),
  clockGHz: fig(
    1.1,
    'GHz',
    'core and fabric clock',
    'Cerebras Hot Chips 34 architecture talk (Sean Lie): cores "operate at 1.1 GHz" [secondary copies]; Cerebras SDK example scripts time with 850 MHz (csl-examples benchmarks/conjugate-gradient/run.py) — band 0.85–1.1',
    [0.85, 1.1],
    true,
  ),
  cyclesPerHop: fig(
    1,
    'cycles',
    'per core-to-core hop of a wavelet',
    'Rocki et al., SC20 (arXiv:2010.03660): "The single cycle-per-hop latency of the interconnect …" [quoted via a secondary copy]; band to 2 cycles as third-party measurements suggest',
    [1, 2],
    true,
  ),
  rampCycles: fig(
    2,
    'cycles',
    'from a core onto its router (and off again at the receiver)',
    'Luczynski et al., "Near-Optimal Wafer-Scale Reduce" (HPDC 2024) as summarized by a third party: T_R ≈ 2 cycles on WSE-2, where earlier literature reported 7',
    [2, 7],
    true,
  ),
  phaseCycles: fig(
    704,
    'cycles',
    'fixed cost of one reduce-and-broadcast phase along a line of cores, beyond its ≈ 2 cycles per core (the reduce pass and the broadcast pass)',
    'derived from WaferLLM (MeshInfra/WaferLLM, Decode/WSE-3/weak_scaling_figures.ipynb): one Llama-style decode layer at batch 1 spends 11,982 cycles in 10 all-reduce + broadcast phases on lines of 240 cores and 14,459 on lines of 360 (CS-3 or its cycle-accurate simulator), so 2.06 cycles per core and 1,198 − 2.06 × 240 = 704 cycles fixed per phase. Band: 10 cycles (ramps only, the near-optimal reduce of Luczynski et al., HPDC 2024) to 1,200 (every measured cycle of a phase counted as fixed)',
    [10, 1_200],
  ),
  linkBytesPerCycle: fig(
    4,
    'bytes/cycle',
    'per core-to-core link per direction: one 32-bit wavelet per cycle (4.4 GB/s at 1.1 GHz)',
    'third-party summary of Luczynski et al. (HPDC 2024): "32 bits/cycle/direction" per link [secondary]. Not backed out of the 214 Pb/s aggregate, which does not reconcile with the link width',
    undefined,
    true,
  ),
  peak: {
    bf16: fig(15_700, 'TFLOP/s', 'dense FP16/BF16 peak of the whole wafer', kDense, [8_000, 62_500], true),
    fp8: fig(
      15_700,
      'TFLOP/s',
      'no FP8 datapath is documented for WSE-3: taken at the FP16 rate',
      `${kDense}; FP8 is not published for WSE-3 [assumption]`,
      [8_000, 62_500],
      true,
    ),
    f32: fig(
      3_900,
      'TFLOP/s',
      'FP32 at a quarter of the FP16 rate (band an eighth to a half)',
      'no FP32 rate is published for WSE-3: FP16/4 [assumption]',
      [1_960, 7_850],
      true,
    ),
  },
  etaCompute: fig(
    0.6,
    'of peak',
    'achieved fraction of per-core peak on matmuls',
    'no published achieved-FLOP/s figure for WSE-3 matmuls: 40–80% [assumption, same range as the GPUs]',
    [0.4, 0.8],
  ),
  sramKB: fig(
    48,
    'KB',
    'SRAM per core (44 GB per wafer)',
    'ALCF CS-3 user guide: "900K processing cores, each providing 48KB of dedicated SRAM memory, with a total of 44GB"',
  ),
  sramGBs: fig(
    23.3,
    'GB/s',
    'SRAM bandwidth per core (21 PB/s over 900,000 cores); 2 × 64-bit reads + 1 × 64-bit write per cycle gives 26.4 at 1.1 GHz',
    'ANL SC24 tutorial (Cerebras text): "44GB of … on-chip SRAM … 21 PB/s"; per-core ports from Hot Chips 34 summaries [secondary]',
    [20, 26.4],
  ),
  watts: fig(
    23_000,
    'W',
    'CS-3 system power',
    'awesomeagents.ai: "Powers the CS-3 system at ~23kW"; Tom\'s Hardware: CS-3 keeps its predecessor\'s power [secondary only]',
    [20_000, 25_000],
    true,
  ),
  ioGBs: fig(
    150,
    'GB/s',
    "system I/O per direction: 12 × 100 GbE = 1.2 Tb/s, read as each direction (Ethernet ports are full duplex; the source does not say); the CS-2 figure, CS-3's +30% only as the top of the band",
    'Cerebras glossary (SwarmX): "Each CS-2 system has 1.2Tb/s of I/O bandwidth"; Cerebras docs: CS-3 "enhances the ingress/egress bandwidth by 30%" — band 150–195',
    [150, 195],
    true,
  ),
  ioLatencyUs: fig(
    5,
    'µs',
    'one message between two systems: 100 GbE switching and both systems’ I/O paths',
    'no published figure for CS-3 to CS-3: a few µs for 100 GbE through one switch, with a band to 20 µs for the systems’ own I/O [assumption]',
    [2, 20],
  ),
};

export const kFabricPresets = Object.freeze({ wse3 } satisfies Record<string, FabricPreset>);
