// LLM decode and prefill from first principles: the models' published shapes and KV-cache sizes, decode bounded
// below by the bytes each unit must stream per token, capacity verdicts at the thresholds a reader can check by
// hand, the pipeline's closed forms, and the plans computing the forward pass (run on the CPU interpreter against
// the float64 reference) on both sides.

import { describe, expect, it } from 'vitest';
import { parseQuery, type Config } from '../../src/config/params.ts';
import { Inputs } from '../../src/engine/inputs.ts';
import { checkBlock, emptyCheck } from '../../src/engine/verify.ts';
import { kFabricPresets } from '../../src/model/hardware/fabrics.ts';
import { kGpuPresets } from '../../src/model/hardware/gpus.ts';
import { fewestGpus } from '../../src/model/llm.ts';
import { predict as predictWithCurve, projectSide, sideLayout } from '../../src/model/predict.ts';
import { streamed } from '../../src/model/project.ts';
import { kModels, kvPerToken, paramsOf } from '../../src/workloads/llm/models.ts';
import { microbatch, modelBytes } from '../../src/workloads/llm/plan.ts';
import { kReported } from '../../src/workloads/llm/reported.ts';
import { fewestWafers } from '../../src/workloads/llm/spec.ts';
import { kWorkloadSpecs } from '../../src/workloads/index.ts';
import type { Plan } from '../../src/workloads/plan.ts';
import { execOnCpu } from './cpu-exec.ts';

/** The projection without decode's batch curve (its own tests are in charts and the page). */
const predict = (c: Config) => predictWithCurve(c, 'test', { curve: false });

const cfg = (q: string): Config => {
  const p = parseQuery(q);
  expect(p.errors).toEqual([]);
  return p.config;
};

describe('models', () => {
  it('KV cache per token in BF16: 128 KiB (8B), 320 KiB (70B), 504 KiB (405B)', () => {
    // 2 (K and V) × layers × KV heads × head dim × 2 bytes. Hugging Face, "Llama 3.1 - 405B, 70B & 8B with
    // multilinguality and long context": 0.125 GB (8B) and 0.313 GB (70B) per 1K tokens; its 405B row used 16 KV
    // heads. 405B with 8: 2 × 126 × 8 × 128 × 2 = 516,096 B (tooljolt.com's calculator: ~504.0 KB per token).
    expect(kvPerToken(kModels['llama3-8b']) * 2).toBe(131_072);
    expect(kvPerToken(kModels['llama3-70b']) * 2).toBe(327_680);
    expect(kvPerToken(kModels['llama3-405b']) * 2).toBe(516_096);
  });

  it('parameter counts from the shapes (untied embeddings), as the safetensors metadata lists them', () => {
    expect(paramsOf(kModels['llama3-8b']).total).toBe(8_030_261_248);
    expect(paramsOf(kModels['llama3-70b']).total).toBe(70_553_706_496);
    expect(paramsOf(kModels['llama3-405b']).total).toBe(405_853_388_800);
  });

  it('every vendor-reported point names its system, source and what differs from one step', () => {
    for (const p of kReported) {
      expect(p.tokensPerSecondPerUser).toBeGreaterThan(0);
      expect(p.source.length).toBeGreaterThan(40);
      expect(p.system).not.toBe('');
      expect(p.note).not.toBe('');
    }
  });
});

describe('decode, bounded by the bytes a unit streams per token', { timeout: 30_000 }, () => {
  const h100 = kGpuPresets.h100;
  for (const [model, shards] of [
    ['llama3-8b', 1],
    ['llama3-8b', 8],
    ['llama3-70b', 8],
  ] as const) {
    it(`${model} on ${shards} H100: no faster than its weights and cache over HBM; weights read at η_m of it`, () => {
      const c = cfg(`workload=decode&model=${model}&mode=cluster&shards=${shards}&context=1024`);
      const r = predict(c).runs[0]!;
      // Every weight but the embedding table (decode looks up one row of it per sequence) and the whole cache.
      const { weights, kv } = modelBytes(c, 2);
      const table = kModels[model].vocab * kModels[model].hidden * 2;
      const perGpu = (weights - table + kv) / shards;
      const floorUs = (perGpu / (h100.memGBs.value * 1e9)) * 1e6;
      expect(r.target!.stepUs).toBeGreaterThan(floorUs);
      expect(r.target!.band.lowUs).toBeGreaterThan((perGpu / (h100.memGBs.high * 1e9)) * 1e6);
      // Decode is memory-bound: the busiest GPU's weight-and-cache time is its bytes at the achieved bandwidth.
      const achieved = (perGpu / (h100.etaMemory.value * h100.memGBs.value * 1e9)) * 1e6;
      expect(r.llm!.split!.weightsUs).toBeGreaterThan(0.97 * achieved);
      expect(r.llm!.split!.weightsUs).toBeLessThan(1.05 * achieved);
      // Tensor parallel: two all-reduces a layer, each at least NCCL's latency floor; none on one GPU.
      if (shards > 1) expect(r.llm!.split!.commUs).toBeGreaterThan(2 * kModels[model].layers * 5);
      else expect(r.llm!.split!.commUs).toBe(0);
    });
  }

  for (const model of ['llama3-8b', 'llama3-70b'] as const) {
    it(`${model} on CS-3 wafers: reading the weights from SRAM is under 1% of a token; the layers' reduction phases set the pace`, () => {
      const c = cfg(`workload=decode&model=${model}&mode=wafer`);
      const r = predict(c).runs[0]!;
      const f = kFabricPresets.wse3;
      const wafers = fewestWafers(c);
      const sramBps = wafers * f.width.value * f.height.value * f.sramGBs.value * 1e9;
      const { weights } = modelBytes(c, 2);
      expect((weights / sramBps) * 1e6).toBeLessThan(0.01 * r.target!.stepUs);
      // Each layer: 10 reduce-and-broadcast phases in sequence (two norms, QKV, four in attention, output, gate/up,
      // down), so a token takes at least layers × 10 × the phase's fixed cycles.
      const phaseUs = f.phaseCycles.value / (f.clockGHz.value * 1e3);
      expect(r.target!.stepUs).toBeGreaterThan(kModels[model].layers * 10 * phaseUs);
      expect(r.llm!.fits).toBe(true);
    });
  }
});

describe('capacity is a result', { timeout: 30_000 }, () => {
  it('70B in BF16 (141 GB) fits neither one 80 GB GPU nor one wafer (44 GB); two GPUs and four wafers hold it', () => {
    const one = predict(cfg('workload=decode&model=llama3-70b&mode=compare&shards=1&wafers=1'));
    for (const run of one.runs) {
      expect(run.llm!.fits, run.mode).toBe(false);
      expect(run.target!.fits, run.mode).toBe(false);
    }
    expect(one.notes.join(' ')).toMatch(/does not fit its memory; the fewest GPUs that hold it: 2 \(shards=2\)/);
    expect(one.notes.join(' ')).toMatch(/the fewest wafer systems that hold it: 4 \(wafers=4\)/);
    // Cerebras: "70B models fit on as few as four systems" (as relayed; see src/workloads/llm/reported.ts).
    expect(fewestWafers(cfg('workload=decode&model=llama3-70b'))).toBe(4);
    expect(fewestGpus(cfg('workload=decode&model=llama3-70b'))).toBe(2);
    // 8B (16 GB) fits one wafer and one GPU.
    expect(fewestWafers(cfg('workload=decode&model=llama3-8b'))).toBe(1);
    expect(fewestGpus(cfg('workload=decode&model=llama3-8b'))).toBe(1);
  });

  it('equal=power matches the power of every wafer system the model takes (4 CS-3 for 70B), not one', () => {
    const r = predict(cfg('workload=decode&model=llama3-70b&equal=power'));
    const wafer = kFabricPresets.wse3.watts.value;
    const gpu = kGpuPresets.h100.watts.value;
    expect(r.summary.target!.clusterUnits).toBe(Math.round((4 * wafer) / gpu));
    expect(r.runs.find((x) => x.mode === 'wafer')!.target!.watts).toBe(4 * wafer);
  });

  it('the KV cache counts: 405B at batch 256 and a 4K context outgrows 16 GPUs', () => {
    const c = cfg('workload=decode&model=llama3-405b&mode=cluster&shards=16&batch=256');
    const run = predict(c).runs[0]!;
    expect(run.llm!.kvGB).toBeCloseTo((256 * 4097 * 516_096) / 1e9, 6);
    expect(run.llm!.fits).toBe(false);
    expect(run.llm!.minUnitsToFit).toBeGreaterThan(16);
  });
});

describe('the pipeline', () => {
  it('closed forms: steady decode is max(pass, m × busiest); prefill is pass + (m − 1) × busiest', () => {
    expect(streamed(undefined, 10, 3)).toBe(10);
    expect(streamed({ microbatches: 4, steady: true, note: '' }, 10, 2)).toBe(10);
    expect(streamed({ microbatches: 8, steady: true, note: '' }, 10, 2)).toBe(16);
    expect(streamed({ microbatches: 8, steady: false, note: '' }, 10, 2)).toBe(24);
  });

  it('micro-batches cover the step: groups of sequences, or a prompt in chunks with the middle one shown', () => {
    const decode = { batch: 64, queries: 1, past: 100, ctx: 101 };
    const d = microbatch(decode, 'decode', 20);
    expect(d.pipeline!.microbatches).toBe(20);
    expect(d.step.batch * d.pipeline!.microbatches).toBeGreaterThanOrEqual(64);
    expect(microbatch(decode, 'decode', 1).pipeline).toBeNull();
    expect(microbatch({ ...decode, batch: 1 }, 'decode', 20).pipeline).toBeNull();
    const prefill = { batch: 1, queries: 2048, past: 0, ctx: 2048 };
    const p = microbatch(prefill, 'prefill', 10);
    const chunks = p.pipeline!.microbatches;
    expect(p.step.queries * chunks).toBeGreaterThanOrEqual(2048);
    expect(p.step.queries * (chunks - 1)).toBeLessThan(2048);
    expect(p.step.past + p.step.queries).toBeLessThanOrEqual(2048);
    expect(p.step.past).toBe(Math.floor((chunks - 1) / 2) * p.step.queries);
  });

  it('a pipelined wafer at batch 64 keeps its stages busy: several times the tokens of a single pass', () => {
    const c = cfg('workload=decode&model=llama3-8b&mode=wafer&batch=64');
    const layout = sideLayout(c, 'wafer');
    const { plan, projection } = projectSide(c, layout);
    expect(plan.pipeline!.steady).toBe(true);
    const once = projectSide({ ...c, batch: Math.ceil(64 / plan.pipeline!.microbatches) }, layout).projection.record.stepUs;
    // The step is at least one pass of a micro-batch, and far less than the micro-batches one after another.
    expect(projection.record.stepUs).toBeGreaterThanOrEqual(once * 0.999);
    expect(projection.record.stepUs).toBeLessThan((plan.pipeline!.microbatches * once) / 4);
  });
});

/** Runs a plan on the CPU interpreter with the seeded inputs, and checks every output against the reference. */
async function verifyOnCpu(c: Config, style: 'wafer' | 'cluster', tamper?: (plan: Plan) => void) {
  const spec = kWorkloadSpecs[c.workload];
  const local = spec.localConfig!(c);
  const layout = spec.layout!(local, style, style === 'cluster' ? local.shards : undefined);
  const plan: Plan = spec.plan(local, layout, true);
  tamper?.(plan);
  const inputs = new Inputs(c.seed);
  const data = new Map<string, Float32Array>();
  for (const name of new Set(plan.inputs.map((p) => p.matrix))) data.set(name, await inputs.get(name, ...plan.matrices[name]!));
  const mem = execOnCpu(plan.program, () => {}, plan.layout.multicast);
  for (const p of plan.inputs) {
    const src = data.get(p.matrix)!;
    const ld = plan.matrices[p.matrix]![1];
    const dst = mem[p.unit]!.get(p.buf)!;
    for (let r = 0; r < p.rows; r++) dst.set(src.subarray((p.r0 + r) * ld + p.c0, (p.r0 + r) * ld + p.c0 + p.cols), p.off + r * p.cols);
  }
  const out = execOnCpu(plan.program, (u, buf, a) => a.set(mem[u]!.get(buf)!), plan.layout.multicast);
  const ref = await spec.reference!(local, plan, inputs);
  const check = emptyCheck();
  for (const p of plan.outputs) checkBlock(out[p.unit]!.get(p.buf)!.subarray(p.off, p.off + p.rows * p.cols), p, ref, check);
  return { check, plan };
}

describe('the plans compute the forward pass (CPU interpreter against the float64 reference)', { timeout: 30_000 }, () => {
  const cases: [string, 'wafer' | 'cluster', RegExp][] = [
    ['workload=decode&model=llama3-8b&shards=4&tp=2&pp=2&context=8&batch=2', 'cluster', /tensor parallel 2 × pipeline 2/],
    ['workload=decode&model=llama3-70b&shards=8&context=6', 'cluster', /tensor parallel 8 × pipeline 1/],
    ['workload=prefill&model=llama3-8b&shards=2&prompt=6', 'cluster', /tensor parallel 2 × pipeline 1/],
    ['workload=decode&model=llama3-8b&context=5&batch=2', 'wafer', /layers on \d+ tiles/],
    ['workload=prefill&model=llama3-70b&prompt=5&wafers=2', 'wafer', /of 2 wafers/],
  ];
  for (const [q, style, describes] of cases) {
    it(`${style}: ${q}`, async () => {
      const { check, plan } = await verifyOnCpu(cfg(q), style);
      expect(plan.describe).toMatch(describes);
      expect(check.firstWrong).toBeNull();
      expect(check.wrong).toBe(0);
      expect(check.checked).toBeGreaterThan(100);
    });
  }

  it('a wrong weight slice is caught', async () => {
    // Rank 1 reads rank 0's columns of the first Q projection.
    const { check } = await verifyOnCpu(cfg('workload=decode&model=llama3-8b&shards=2&context=4'), 'cluster', (plan) => {
      plan.inputs.find((x) => x.unit === 1 && x.buf === 'L0.wq')!.c0 = 0;
    });
    expect(check.wrong).toBeGreaterThan(0);
  });
});
