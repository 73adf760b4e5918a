// Published all-reduce sweeps shipped with the page, to compare the model and your own measurements against: the
// points are what the parser (./parse.ts) reads from the public logs in test/fixtures/nccl-tests (out-of-place
// times), copied here once; test/unit/imported.test.ts checks they still equal what the parser reads from those
// files, so they cannot drift. Each names its system, ranks, library version and source.

import type { FitCollective } from './fit.ts';

export interface PublishedSweep {
  id: string;
  title: string;
  /** The system as its source describes it. */
  system: string;
  ranks: number;
  /** Host names as the log prints them (one per node). */
  hosts: string[];
  /** The device name as the log prints it. */
  device: string;
  library: string;
  /** Where the numbers come from (a public page). */
  source: string;
  /** The log in test/fixtures/nccl-tests, and the line of its first row. */
  file: string;
  line: number;
  test: string;
  collective: FitCollective;
  timing: 'out-of-place';
  /** Per size: bytes, time µs, busbw GB/s, as printed. */
  points: { bytes: number; timeUs: number; busbw: number }[];
}

export const kPublished: readonly PublishedSweep[] = Object.freeze([
  {
    id: 'h100x8-nvlink',
    title: '8 × H100, one node, NVLink (Voltage Park, NCCL 2.24.3)',
    system:
      '1 node, 8 × NVIDIA H100 80GB HBM3 SXM on NVLink (NVLink SHARP very likely active), Voltage Park bare metal; single process, -g 8',
    ranks: 8,
    hosts: ['g138'],
    device: 'NVIDIA H100 80GB HBM3',
    library: 'NCCL 2.24.3, nccl-tests 2.17.9, CUDA 12.6',
    source:
      'https://github.com/ZiyanIshani/vpbenchmarking/blob/483959d960101f0cdf87fc0c962949c6a9975f77/results/nccl/nccl_allreduce_20260224_223444.txt',
    file: 'h100_8gpu_1node_allreduce_voltagepark_nccl2.24.3.log',
    line: 22,
    test: 'all_reduce_perf',
    collective: 'all_reduce',
    timing: 'out-of-place',
    points: [
      { bytes: 8, timeUs: 33.18, busbw: 0 },
      { bytes: 16, timeUs: 32.76, busbw: 0 },
      { bytes: 32, timeUs: 32.76, busbw: 0 },
      { bytes: 64, timeUs: 33.23, busbw: 0 },
      { bytes: 128, timeUs: 33.27, busbw: 0.01 },
      { bytes: 256, timeUs: 33.01, busbw: 0.01 },
      { bytes: 512, timeUs: 33.5, busbw: 0.03 },
      { bytes: 1024, timeUs: 33.36, busbw: 0.05 },
      { bytes: 2048, timeUs: 33.44, busbw: 0.11 },
      { bytes: 4096, timeUs: 33.19, busbw: 0.22 },
      { bytes: 8192, timeUs: 33.09, busbw: 0.43 },
      { bytes: 16384, timeUs: 32.95, busbw: 0.87 },
      { bytes: 32768, timeUs: 32.74, busbw: 1.75 },
      { bytes: 65536, timeUs: 33.62, busbw: 3.41 },
      { bytes: 131072, timeUs: 34.26, busbw: 6.69 },
      { bytes: 262144, timeUs: 35.05, busbw: 13.09 },
      { bytes: 524288, timeUs: 36.97, busbw: 24.82 },
      { bytes: 1048576, timeUs: 38.74, busbw: 47.37 },
      { bytes: 2097152, timeUs: 43.23, busbw: 84.89 },
      { bytes: 4194304, timeUs: 55.7, busbw: 131.77 },
      { bytes: 8388608, timeUs: 84.47, busbw: 173.79 },
      { bytes: 16777216, timeUs: 125.88, busbw: 233.25 },
      { bytes: 33554432, timeUs: 200.39, busbw: 293.02 },
      { bytes: 67108864, timeUs: 328.56, busbw: 357.44 },
      { bytes: 134217728, timeUs: 588.39, busbw: 399.19 },
      { bytes: 268435456, timeUs: 1112.19, busbw: 422.38 },
      { bytes: 536870912, timeUs: 2152.91, busbw: 436.4 },
      { bytes: 1073741824, timeUs: 4010.54, busbw: 468.53 },
      { bytes: 2147483648, timeUs: 7918.12, busbw: 474.62 },
      { bytes: 4294967296, timeUs: 15753.1, busbw: 477.12 },
      { bytes: 8589934592, timeUs: 31335.8, busbw: 479.72 },
    ],
  },
  {
    id: 'h100x32-ib',
    title: '32 × H100, four nodes, InfiniBand (Voltage Park, NCCL 2.24.3)',
    system:
      '4 nodes × 8 NVIDIA H100 80GB HBM3, InfiniBand at 400 Gb/s per port (3 active ports per node, per the source’s summary); one GPU per MPI rank',
    ranks: 32,
    hosts: ['g138', 'g205', 'g244', 'g150'],
    device: 'NVIDIA H100 80GB HBM3',
    library: 'NCCL 2.24.3, nccl-tests 2.17.9, OpenMPI 4.1.2',
    source:
      'https://github.com/ZiyanIshani/vpbenchmarking/blob/e55fe749c7c6737006c752df3fd1c4462f88a3ee/results/nccl/nccl_multinode/nccl_allreduce_20260224_225706.txt',
    file: 'h100_32gpu_4node_ib_allreduce_allgather_voltagepark_nccl2.24.3.log',
    line: 53,
    test: 'all_reduce_perf',
    collective: 'all_reduce',
    timing: 'out-of-place',
    points: [
      { bytes: 8, timeUs: 38.37, busbw: 0 },
      { bytes: 16, timeUs: 37.15, busbw: 0 },
      { bytes: 32, timeUs: 37.19, busbw: 0 },
      { bytes: 64, timeUs: 37.4, busbw: 0 },
      { bytes: 128, timeUs: 39.22, busbw: 0.01 },
      { bytes: 256, timeUs: 39.54, busbw: 0.01 },
      { bytes: 512, timeUs: 38.38, busbw: 0.03 },
      { bytes: 1024, timeUs: 39.76, busbw: 0.05 },
      { bytes: 2048, timeUs: 41.11, busbw: 0.1 },
      { bytes: 4096, timeUs: 44.98, busbw: 0.18 },
      { bytes: 8192, timeUs: 53.19, busbw: 0.3 },
      { bytes: 16384, timeUs: 56.41, busbw: 0.56 },
      { bytes: 32768, timeUs: 57.42, busbw: 1.11 },
      { bytes: 65536, timeUs: 60.1, busbw: 2.11 },
      { bytes: 131072, timeUs: 59.27, busbw: 4.28 },
      { bytes: 262144, timeUs: 69.81, busbw: 7.28 },
      { bytes: 524288, timeUs: 79.34, busbw: 12.8 },
      { bytes: 1048576, timeUs: 92.47, busbw: 21.97 },
      { bytes: 2097152, timeUs: 154.66, busbw: 26.27 },
      { bytes: 4194304, timeUs: 160.5, busbw: 50.63 },
      { bytes: 8388608, timeUs: 230.19, busbw: 70.61 },
      { bytes: 16777216, timeUs: 272.07, busbw: 119.48 },
      { bytes: 33554432, timeUs: 373.03, busbw: 174.28 },
      { bytes: 67108864, timeUs: 579.49, busbw: 224.38 },
      { bytes: 134217728, timeUs: 944.74, busbw: 275.26 },
      { bytes: 268435456, timeUs: 2169.01, busbw: 239.78 },
      { bytes: 536870912, timeUs: 3578.6, busbw: 290.67 },
      { bytes: 1073741824, timeUs: 6411.42, busbw: 324.48 },
      { bytes: 2147483648, timeUs: 12681.1, busbw: 328.11 },
      { bytes: 4294967296, timeUs: 25265.5, busbw: 329.36 },
      { bytes: 8589934592, timeUs: 50291.8, busbw: 330.93 },
    ],
  },
  {
    id: 'mi300x8',
    title: '8 × MI300X, one node (AMD ROCm system acceptance docs, rccl-tests)',
    system: '1 node (Supermicro, per its host name), 8 × AMD Instinct MI300X; single process, -g 8',
    ranks: 8,
    hosts: ['SMC-SC-DC19-06'],
    device: 'AMD Instinct MI300X',
    library: 'rccl-tests develop:ae3e635 (the RCCL version is not printed; the same document pins ROCm 6.2.0)',
    source:
      'https://github.com/ROCm/system-acceptance-docs/blob/058057f6bc65ae222fbbd625dee4937a3e154de0/docs/performance-bench/mi300x.rst',
    file: 'mi300x_8gpu_1node_allreduce_rocm-acceptance-docs.log',
    line: 20,
    test: 'all_reduce_perf',
    collective: 'all_reduce',
    timing: 'out-of-place',
    points: [
      { bytes: 8, timeUs: 34.13, busbw: 0 },
      { bytes: 16, timeUs: 38.73, busbw: 0 },
      { bytes: 32, timeUs: 39.48, busbw: 0 },
      { bytes: 64, timeUs: 39.18, busbw: 0 },
      { bytes: 128, timeUs: 39.36, busbw: 0.01 },
      { bytes: 256, timeUs: 41.24, busbw: 0.01 },
      { bytes: 512, timeUs: 44.23, busbw: 0.02 },
      { bytes: 1024, timeUs: 45.84, busbw: 0.04 },
      { bytes: 2048, timeUs: 44.6, busbw: 0.08 },
      { bytes: 4096, timeUs: 45.01, busbw: 0.16 },
      { bytes: 8192, timeUs: 43.72, busbw: 0.33 },
      { bytes: 16384, timeUs: 55.7, busbw: 0.51 },
      { bytes: 32768, timeUs: 44.39, busbw: 1.29 },
      { bytes: 65536, timeUs: 44.35, busbw: 2.59 },
      { bytes: 131072, timeUs: 47.47, busbw: 4.83 },
      { bytes: 262144, timeUs: 59.18, busbw: 7.75 },
      { bytes: 524288, timeUs: 57.96, busbw: 15.83 },
      { bytes: 1048576, timeUs: 58.47, busbw: 31.38 },
      { bytes: 2097152, timeUs: 59.86, busbw: 61.31 },
      { bytes: 4194304, timeUs: 90.74, busbw: 80.89 },
      { bytes: 8388608, timeUs: 110.8, busbw: 132.49 },
      { bytes: 16777216, timeUs: 169.7, busbw: 173.02 },
      { bytes: 33554432, timeUs: 257.6, busbw: 227.99 },
      { bytes: 67108864, timeUs: 428.1, busbw: 274.33 },
      { bytes: 134217728, timeUs: 801.8, busbw: 292.96 },
      { bytes: 268435456, timeUs: 1546.5, busbw: 303.76 },
      { bytes: 536870912, timeUs: 3038.1, busbw: 309.25 },
      { bytes: 1073741824, timeUs: 6003.9, busbw: 312.97 },
      { bytes: 2147483648, timeUs: 11938, busbw: 314.8 },
      { bytes: 4294967296, timeUs: 23849, busbw: 315.15 },
      { bytes: 8589934592, timeUs: 47488, busbw: 316.55 },
    ],
  },
]);
