// GPU (and TPU) units of a cluster: dense peak per precision, memory bandwidth and capacity, achieved efficiency,
// kernel launch overhead and power — each a sourced figure with its meaning. One record per unit; the `gpu`
// parameter lists these names.

import { fig, type Figure } from '../figure.ts';

export const kPrecisions = Object.freeze(['bf16', 'fp8', 'f32'] as const);
export type Precision = (typeof kPrecisions)[number];

/** Bytes per element on the wire and in memory, per target precision. */
export const kElemBytes: Readonly<Record<Precision, number>> = Object.freeze({ bf16: 2, fp8: 1, f32: 4 });

export interface GpuPreset {
  name: string;
  label: string;
  /** Dense peak per precision, TFLOP/s, one device. */
  peak: Readonly<Record<Precision, Figure>>;
  /** Achieved fraction of the dense peak on large matmuls (η_c of the roofline). */
  etaCompute: Figure;
  /** HBM bandwidth, GB/s (decimal), peak. */
  memGBs: Figure;
  /** Achieved fraction of the HBM peak (η_m of the roofline). */
  etaMemory: Figure;
  /** HBM capacity, GB (decimal). */
  memGB: Figure;
  /** Time from one kernel's end to the next one's start when launched back to back, µs. */
  launchUs: Figure;
  /** Power one device stands for, W: its share of the node (GPU board, CPUs, NICs, switches, fans). */
  watts: Figure;
}

const kH100Sheet =
  'NVIDIA H100 datasheet spec table (nvidia.com/en-us/data-center/h100), whose Tensor Core rows are "with sparsity": dense = half';
const kMamf =
  'measured best-shape BF16 torch.matmul: H100 SXM 792 TFLOP/s = 80% of 989 (stas00/ml-engineering, compute/accelerator "Maximum Achievable Matmul FLOPS"); the band runs down to 60% for the medium shapes of model layers';
const kLaunch =
  'no H100-specific figure is published: Meta HTA docs give 5–20 µs of CPU launch time per kernel in eager PyTorch; inside a CUDA graph a tiny kernel costs about 1.1–1.3 µs each (pytorch/pytorch#161104). Band 1 µs (graphs) to 6 µs (eager), middle 4 µs [assumption from those]';
const kDgxPower =
  'DGX H100 datasheet: "System power usage ~10.2kW max" for 8 GPUs with CPUs, NVSwitches, NICs, fans: 1275 W per GPU [derived]; the band runs down to the 700 W board TDP alone';

const h100: GpuPreset = {
  name: 'h100',
  label: 'NVIDIA H100 SXM (80 GB)',
  peak: {
    bf16: fig(989, 'TFLOP/s', 'dense BF16 Tensor Core peak, one GPU (1,979 is the sparse figure)', kH100Sheet),
    fp8: fig(1979, 'TFLOP/s', 'dense FP8 Tensor Core peak (3,958 is the sparse figure)', kH100Sheet),
    f32: fig(67, 'TFLOP/s', 'FP32 on CUDA cores, no Tensor Cores (TF32 would be 495 dense, at reduced mantissa)', kH100Sheet),
  },
  etaCompute: fig(
    0.7,
    'of peak',
    'achieved fraction of dense peak on large matmuls: the middle of the band, as model layers are mostly medium shapes',
    kMamf,
    [0.6, 0.8],
  ),
  memGBs: fig(3350, 'GB/s', 'HBM3 peak bandwidth, one GPU', `${kH100Sheet}: "GPU Memory Bandwidth 3.35TB/s"`),
  etaMemory: fig(
    0.89,
    'of peak',
    'achieved fraction of HBM peak on streaming kernels',
    'Azure AI-benchmarking-guide ND H100 v5: BabelStream Triad 2.97 TB/s of 3.35 (0.89); Copy 2.90 (0.87)',
    [0.85, 0.9],
  ),
  memGB: fig(80, 'GB', 'HBM3 capacity, one GPU', `${kH100Sheet}: "GPU Memory 80GB"`),
  launchUs: fig(4, 'µs', 'kernel launch overhead per kernel, back to back', kLaunch, [1, 6]),
  watts: fig(1275, 'W', 'share of an 8-GPU node per GPU (node maximum / 8)', kDgxPower, [700, 1275]),
};

const h200: GpuPreset = {
  ...h100,
  name: 'h200',
  label: 'NVIDIA H200 SXM (141 GB)',
  memGBs: fig(
    4800,
    'GB/s',
    'HBM3e peak bandwidth, one GPU',
    'NVIDIA H200 spec table (nvidia.com/en-us/data-center/h200): "GPU Memory Bandwidth 4.8TB/s"',
  ),
  etaMemory: fig(
    0.86,
    'of peak',
    'achieved fraction of HBM peak on streaming kernels',
    'Azure AI-benchmarking-guide ND H200 v5: BabelStream Triad 4.15 TB/s of 4.8 (0.86)',
    [0.83, 0.9],
  ),
  memGB: fig(141, 'GB', 'HBM3e capacity, one GPU', 'NVIDIA H200 spec table: "GPU Memory 141GB"'),
  watts: fig(
    1275,
    'W',
    'share of an 8-GPU node per GPU (node maximum / 8)',
    'DGX H200 10.2 kW maximum system power [secondary: a public note quoting the datasheet] / 8; band down to the 700 W board TDP',
    [700, 1275],
    true,
  ),
};

const kMi300 = 'AMD ROCm docs, "AMD Instinct MI300 series microarchitecture", table "Peak-performance capabilities of the MI300X" (dense)';
const mi300x: GpuPreset = {
  name: 'mi300x',
  label: 'AMD Instinct MI300X (192 GB)',
  peak: {
    bf16: fig(1307.4, 'TFLOP/s', 'dense BF16 matrix peak, one OAM', `${kMi300}: "Matrix BF16 … 1307.4"`),
    fp8: fig(2614.9, 'TFLOP/s', 'dense FP8 matrix peak, one OAM', `${kMi300}: "Matrix FP8 … 2614.9"`),
    f32: fig(163.4, 'TFLOP/s', 'FP32 matrix peak, one OAM', `${kMi300}: "Matrix FP32 … 163.4"`),
  },
  etaCompute: fig(
    0.55,
    'of peak',
    'achieved fraction of dense peak on large matmuls: below the best shape (0.60), as model layers are mostly medium shapes',
    'measured best-shape BF16 matmul: MI300X 781.9 TFLOP/s = 60% of peak with ROCm 6.2, 450 (0.34) with ROCm 6.1 (stas00/ml-engineering MAMF table); the band spans both',
    [0.35, 0.6],
  ),
  memGBs: fig(
    5300,
    'GB/s',
    'HBM3 peak bandwidth, one OAM',
    `${kMi300}: "theoretical aggregated peak memory bandwidth … 5.3 TB per second"`,
  ),
  etaMemory: fig(
    0.77,
    'of peak',
    'achieved fraction of HBM peak on streaming kernels',
    'Azure AI-benchmarking-guide ND MI300X v5: BabelStream Triad 4.09 TB/s of 5.3 (0.77)',
    [0.7, 0.8],
  ),
  memGB: fig(192, 'GB', 'HBM3 capacity, one OAM', 'AMD MLPerf Inference v4.1 system file: "accelerator_memory_capacity": "192 GB"'),
  launchUs: fig(
    4,
    'µs',
    'kernel launch overhead per kernel, back to back',
    'no MI300X figure is published; AMD ROCm blog (mi300x-rccl-xgmi) measures an 8-byte RCCL all-reduce at 16.6 µs eager and 6.3 µs in graph mode, a launch-dominated difference; same band as H100 [assumption]',
    [1, 6],
  ),
  watts: fig(
    1325,
    'W',
    'share of an 8-GPU node per GPU',
    'MI300X board 750 W (AMD MLPerf system file "MI300X-NPS1-SPX-192GB-750W"); no node power is published: board + the per-GPU host share of a DGX H100 (575 W) [assumption]; band from the board alone up to a host share 75 W above the DGX one [assumption]',
    [750, 1400],
  ),
};

const kTpu = 'Google Cloud TPU docs, "TPU v5p" (cloud.google.com/tpu/docs/v5p)';
const tpuV5p: GpuPreset = {
  name: 'tpu-v5p',
  label: 'Google TPU v5p',
  peak: {
    bf16: fig(459, 'TFLOP/s', 'dense BF16 peak per chip (2 TensorCores)', `${kTpu}: "Peak compute per chip (BF16) (TFLOPs) 459"`),
    fp8: fig(459, 'TFLOP/s', 'dense FP8 peak per chip: no speed-up over BF16', `${kTpu}: "Peak compute per chip (FP8) (TFLOPs) 459"`),
    f32: fig(
      76.5,
      'TFLOP/s',
      'f32 matmuls as several BF16 passes on the MXU: 459/6 (6 passes, XLA "HIGHEST") to 459/3 (3 passes, "HIGH")',
      'Google publishes no f32 rate for v5p; JAX docs, jax.lax.Precision: HIGH = 3 bf16 passes, HIGHEST = 6 [derived]',
      [76.5, 153],
    ),
  },
  etaCompute: fig(
    0.7,
    'of peak',
    'achieved fraction of peak in whole training steps',
    'MaxText README, TPU v5p runtime results: 64–71% MFU for 32B–1160B models',
    [0.6, 0.75],
  ),
  memGBs: fig(2765, 'GB/s', 'HBM2e peak bandwidth per chip', `${kTpu}: "HBM bandwidth per chip (GBps) 2765"`),
  etaMemory: fig(
    0.85,
    'of peak',
    'achieved fraction of HBM peak',
    'no TPU figure is published; the GPUs above measure 0.77–0.89 [assumption]',
    [0.75, 0.9],
  ),
  memGB: fig(
    95,
    'GB',
    'HBM capacity per chip: the source gives 95 GiB (102 GB); taken as 95 GB, understating it by 7%',
    `${kTpu}: "HBM capacity per chip (GiB) 95"`,
  ),
  launchUs: fig(
    1,
    'µs',
    'per-op overhead inside a compiled XLA program',
    'TPUs run whole compiled programs with no per-kernel host launch; no figure is published; band 0.5–2 µs [assumption]',
    [0.5, 2],
  ),
  watts: fig(
    650,
    'W',
    'per chip, unclear what it includes',
    'Google publishes no v5p power; 650 W from a third-party dataset (huggingface.co/datasets/devidasmishra/ai-inference-hardware-economics-2026) that also misstates its HBM — unreliable; wide band',
    [450, 1000],
    true,
  ),
};

export const kGpuPresets = Object.freeze({ h100, h200, mi300x, 'tpu-v5p': tpuV5p } satisfies Record<string, GpuPreset>);
export type GpuName = keyof typeof kGpuPresets;
