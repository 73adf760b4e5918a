// The result JSON as a Valibot schema: results that come from outside (a shared link's fragment, a parent frame,
// an imported file) are parsed into typed values or refused with the first bad field named. Unknown fields are
// dropped; JSON nulls where numbers belong (NaN does not survive JSON) come back as NaN.

import * as v from 'valibot';
import type { Result } from './result.ts';

const num = v.pipe(
  v.nullable(v.number()),
  v.transform((x) => x ?? NaN),
);
const int = v.pipe(v.number(), v.integer());
const str = v.pipe(v.string(), v.maxLength(20_000));
const list = <T extends v.GenericSchema>(item: T, max = 200_000) => v.pipe(v.array(item), v.maxLength(max));

const summary = v.object({ median: num, p10: num, p90: num, min: num, max: num, samples: int });
const event = v.object({
  node: v.optional(int),
  device: int,
  kind: v.picklist(['compute', 'comm', 'idle']),
  label: str,
  start: num,
  dur: num,
  bytes: num,
});
const band = v.object({ lowUs: num, highUs: num });

const target = v.object({
  stepUs: num,
  computeUs: num,
  commUs: num,
  exposedCommUs: num,
  tflops: num,
  mfu: num,
  peakTflops: num,
  watts: num,
  joules: num,
  band,
  commBytes: num,
  memoryBytes: num,
  memoryCapacityBytes: num,
  fits: v.boolean(),
  protocols: list(str, 10),
  describe: str,
  assumptions: list(str, 50),
});

const llm = v.object({
  msPerToken: num,
  tokensPerSecondPerUser: num,
  tokensPerSecond: num,
  ttftMs: num,
  tokensPerJoule: num,
  weightsGB: num,
  kvGB: num,
  fits: v.boolean(),
  minUnitsToFit: num,
  split: v.optional(v.object({ weightsUs: num, computeUs: num, launchUs: num, commUs: num, waitUs: num })),
});

const run = v.object({
  mode: v.picklist(['wafer', 'cluster']),
  workload: str,
  devices: int,
  units: int,
  tiles: v.nullable(str),
  strategy: str,
  collective: str,
  link: str,
  linkModel: v.nullable(v.object({ label: str, source: str, scale: num, gbps: v.nullable(num), alphaUs: v.nullable(num) })),
  flops: num,
  commBytes: num,
  verified: v.boolean(),
  maxAbsErr: num,
  maxRelErr: num,
  checked: num,
  stepMs: summary,
  emulatedStepMs: summary,
  targetStepUs: v.nullable(num),
  gflops: v.object({ median: num, p10: num, p90: num }),
  computeMs: num,
  commMs: num,
  exposedCommMs: num,
  commFraction: num,
  timeline: list(event),
  measuredTimeline: list(event),
  iterations: list(v.object({ stepMs: num, emulatedStepMs: num, hidden: v.boolean() }), 100_000),
  kernelKeys: list(str, 1000),
  ledger: v.object({
    held: v.object({ buffers: num, bytes: num }),
    leftAfterFree: v.object({ buffers: num, bytes: num }),
    workers: num,
  }),
  describe: str,
  emulation: str,
  error: v.optional(str),
  target: v.optional(target),
  targetTimeline: v.optional(list(event)),
  llm: v.optional(llm),
});

const collective = v.object({
  mode: v.picklist(['wafer', 'cluster']),
  algorithm: str,
  devices: int,
  bytes: num,
  count: num,
  timeUs: num,
  algbw: num,
  busbw: num,
  wrong: num,
  measuredTimeUs: num,
  measuredBusbw: num,
  band: v.optional(band),
  protocol: v.optional(v.nullable(str)),
});

/** The most imported series a result carries, points per series, and characters of a label and a source. */
export const kMaxImportedSeries = 5;
export const kMaxImportedPoints = 64;
export const kMaxImportedLabel = 120;
export const kMaxImportedSource = 500;

const finite = v.pipe(v.number(), v.finite());
const imported = v.object({
  label: v.pipe(v.string(), v.maxLength(kMaxImportedLabel)),
  source: v.optional(v.pipe(v.string(), v.maxLength(kMaxImportedSource))),
  points: list(v.object({ bytes: finite, timeUs: finite, busbw: finite }), kMaxImportedPoints),
});

const sizeSide = v.nullable(v.object({ stepUs: num, lowUs: num, highUs: num, mfu: num, exposedShare: num, fits: v.boolean() }));

const curveSide = v.nullable(
  v.object({ tokensPerSecondPerUser: num, lowPerUser: num, highPerUser: num, tokensPerSecond: num, fits: v.boolean() }),
);

const adapter = v.object({ vendor: str, architecture: str, description: str, isFallbackAdapter: v.boolean() });

const kResultSchema = v.object({
  schema: v.picklist([1, 2]),
  tool: v.literal('wafer-bench'),
  version: str,
  startedAt: str,
  config: v.record(v.pipe(v.string(), v.maxLength(64)), v.unknown()),
  env: v.object({
    userAgent: str,
    crossOriginIsolated: v.boolean(),
    transport: str,
    timestampQuery: v.boolean(),
    adapter,
    features: list(str, 200),
    limits: v.record(v.pipe(v.string(), v.maxLength(128)), num),
    backend: v.optional(v.picklist(['webgpu', 'cpu', 'none', 'torch']), 'webgpu'),
  }),
  runs: list(run, 1000),
  collectives: list(collective, 10_000),
  summary: v.object({
    waferGflops: v.nullable(num),
    clusterGflops: v.nullable(num),
    speedup: v.nullable(num),
    waferCommFraction: v.nullable(num),
    clusterCommFraction: v.nullable(num),
    waferUnits: v.nullable(num),
    clusterUnits: v.nullable(num),
    target: v.optional(
      v.object({
        speedup: v.nullable(num),
        energyRatio: v.nullable(num),
        equal: str,
        waferUnits: v.nullable(num),
        clusterUnits: v.nullable(num),
        speedupBand: v.optional(v.nullable(v.object({ low: num, high: num }))),
        baselines: v.optional(v.object({ gpuUs: v.nullable(num), waferUs: v.nullable(num) })),
      }),
    ),
  }),
  projection: v.optional(v.literal(true)),
  sizeSweep: v.optional(list(v.object({ size: num, wafer: sizeSide, cluster: sizeSide }), 1000)),
  llmCurve: v.optional(list(v.object({ batch: num, wafer: curveSide, cluster: curveSide }), 64)),
  kernels: v.optional(
    list(
      v.object({ name: str, key: str, m: num, n: num, k: num, gflops: v.object({ median: num, p10: num, p90: num }), source: str }),
      1000,
    ),
  ),
  ceiling: v.optional(v.object({ bytes: num, workers: num, downGBs: num, upGBs: num, addGBs: num, busbw: num })),
  localGflops: num,
  autotune: v.object({ ranking: list(str, 1000), cached: v.boolean() }),
  notes: list(str, 1000),
  scaling: v.optional(
    list(
      v.object({
        units: num,
        waferGflops: v.nullable(num),
        clusterGflops: v.nullable(num),
        waferUs: v.optional(v.nullable(num)),
        clusterUs: v.optional(v.nullable(num)),
      }),
      1000,
    ),
  ),
  imported: v.optional(list(imported, kMaxImportedSeries)),
});

/** Parses a value as a result; throws an Error naming the first bad field and what was wrong with it. */
export function parseResult(value: unknown): Result {
  const r = v.safeParse(kResultSchema, value);
  if (r.success) return r.output as unknown as Result;
  const issue = r.issues[0]!;
  const path = v.getDotPath(issue) ?? '(the whole value)';
  throw new Error(`field ${path}: ${issue.message}`);
}
