// Published decode speeds of the seed's systems, drawn beside the projection as labelled reference points
// ("vendor-reported"), never fitted to. Each says what it measures: tokens per second per user (one stream's output
// speed, 1 / time per output token), at how many concurrent streams, on what system and precision, with what
// serving tricks (speculative decoding changes the tokens per step, so it is not the model's one-token step), and
// where it was read. A point relayed by a third party is marked secondary.

export interface ReportedPoint {
  model: 'llama3-8b' | 'llama3-70b' | 'llama3-405b';
  side: 'wafer' | 'cluster';
  /** The system as the source names it. */
  system: string;
  /** Concurrent streams (1: a single user). */
  batch: number;
  tokensPerSecondPerUser: number;
  /** Time to first token, ms, where stated. */
  ttftMs?: number;
  /** What differs from the projection's step (speculative decoding, precision, an end-to-end API). */
  note: string;
  date: string;
  source: string;
  secondary?: boolean;
}

const kCerebrasLaunch =
  'Cerebras, "Introducing Cerebras Inference: AI at Instant Speed" (https://cerebras.ai/blog/introducing-cerebras-inference-ai-at-instant-speed): "1,800 tokens per second for Llama3.1 8B and 450 tokens per second for Llama3.1 70B" … "native 16-bit weights"; four systems for 70B per The Register (Hot Chips 2024)';
const kMedusa =
  'NVIDIA Technical Blog, "Low Latency Inference Chapter 1: Up to 1.9x Higher Llama 3.1 Performance with Medusa on NVIDIA HGX H200 with NVLink Switch" (https://developer.nvidia.com/blog/low-latency-inference-chapter-1-up-to-1-9x-higher-llama-3-1-performance-with-medusa-on-nvidia-hgx-h200-with-nvlink-switch/): "268 tokens/second/user and 108 tokens/second/user, respectively on HGX H200"';
const kNim = 'NVIDIA NIM for LLMs benchmarking guide, performance page (https://docs.nvidia.com/nim/benchmarking/llm/1.0.0/performance)';

export const kReported: readonly ReportedPoint[] = Object.freeze([
  {
    model: 'llama3-8b',
    side: 'wafer',
    system: 'Cerebras CS-3 (count not stated)',
    batch: 1,
    tokensPerSecondPerUser: 1800,
    note: '16-bit weights; output speed of the public API',
    date: '2024-08-27',
    source: kCerebrasLaunch,
  },
  {
    model: 'llama3-70b',
    side: 'wafer',
    system: '4 × Cerebras CS-3',
    batch: 1,
    tokensPerSecondPerUser: 450,
    note: '16-bit weights; output speed of the public API',
    date: '2024-08-27',
    source: kCerebrasLaunch,
  },
  {
    model: 'llama3-70b',
    side: 'wafer',
    system: 'Cerebras CS-3 (count not stated)',
    batch: 1,
    tokensPerSecondPerUser: 2100,
    note: 'speculative decoding (several tokens per step), ±20% run to run',
    date: '2024-10-24',
    source:
      'Cerebras, "Cerebras Inference now 3x faster: Llama3.1-70B breaks 2,100 tokens/s", as relayed by The Register, 2024-12-15 ("topping 2,100 tokens/sec … possible thanks to … speculative decoding")',
    secondary: true,
  },
  {
    model: 'llama3-405b',
    side: 'wafer',
    system: 'Cerebras CS-3 (count not stated)',
    batch: 1,
    tokensPerSecondPerUser: 969,
    ttftMs: 240,
    note: '16-bit weights; 539 tok/s at the full 128K context',
    date: '2024-11-18',
    source:
      'Cerebras, "Llama 3.1 405B now runs at 969 tokens/s on Cerebras Inference", as relayed by Tom\'s Hardware, 2024-11-20 ("a token rate of 969 per second and a time-to-first-token of just 0.24 seconds")',
    secondary: true,
  },
  {
    model: 'llama3-70b',
    side: 'cluster',
    system: '8 × H200 (HGX, NVLink Switch), TensorRT-LLM',
    batch: 1,
    tokensPerSecondPerUser: 268,
    note: 'Medusa speculative decoding (several tokens per step)',
    date: '2024',
    source: kMedusa,
  },
  {
    model: 'llama3-405b',
    side: 'cluster',
    system: '8 × H200 (HGX, NVLink Switch), TensorRT-LLM',
    batch: 1,
    tokensPerSecondPerUser: 108,
    note: 'Medusa speculative decoding (several tokens per step)',
    date: '2024',
    source: kMedusa,
  },
  ...(
    [
      [1, 18.58, 406.77],
      [5, 21.83, 546.7],
      [25, 38.75, 688.69],
      [50, 59.73, 834.51],
      [100, 92.91, 7996.25],
    ] as const
  ).map(([batch, itlMs, ttftMs]): ReportedPoint => ({
    model: 'llama3-70b',
    side: 'cluster',
    system: '2 × H100 80 GB, FP8, TP2 (NIM 1.8.0, Llama 3.3 70B)',
    batch,
    tokensPerSecondPerUser: 1000 / itlMs,
    ttftMs,
    note: `FP8 weights on 2 GPUs; 5000 input / 500 output tokens; 1 / inter-token latency of ${itlMs} ms`,
    date: '2025',
    source: `${kNim}: Llama-3.3-70B-Instruct, "2 x H100 80G", "fp8 TP2", concurrency ${batch}: ITL ${itlMs} ms, TTFT ${ttftMs} ms`,
  })),
  ...(
    [
      [1, 4.63, 10.26],
      [50, 5.91, 67.41],
      [200, 12.65, 465.18],
    ] as const
  ).map(([batch, itlMs, ttftMs]): ReportedPoint => ({
    model: 'llama3-8b',
    side: 'cluster',
    system: 'NVIDIA NIM 1.8.0 (GPU count and precision not stated in the excerpt read)',
    batch,
    tokensPerSecondPerUser: 1000 / itlMs,
    ttftMs,
    note: `1 / inter-token latency of ${itlMs} ms`,
    date: '2025',
    source: `${kNim}: Llama-3.1-8B-Instruct, concurrency ${batch}: ITL ${itlMs} ms, TTFT ${ttftMs} ms`,
  })),
]);

/** The points for a model preset (none for a custom model). */
export const reportedFor = (model: string): ReportedPoint[] => kReported.filter((p) => p.model === model);
