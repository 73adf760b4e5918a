// What LLM inference figures a projection gives: ms per token, tokens per second per user and in all, time to first
// token, tokens per joule, the model's weights and KV cache, whether a side holds them and the fewest units that
// do, and where a token's time goes on the busiest unit (weights and cache read, compute, launches and fills,
// communication, waiting for other stages).

import type { Config } from '../config/params.ts';
import type { LlmRecord } from '../engine/result.ts';
import { layoutOf, type Layout, type Plan } from '../workloads/plan.ts';
import { modelBytes } from '../workloads/llm/plan.ts';
import { shapeOf, splitOf, splitProblem, stepOf } from '../workloads/llm/shape.ts';
import { kMaxUnits, kMaxWafers } from '../config/params.ts';
import { fewestWafers } from '../workloads/llm/spec.ts';
import { kWorkloadSpecs } from '../workloads/index.ts';
import { memoryBytes, project, targetsFor, type Projection } from './project.ts';
import { kElemBytes } from './hardware/gpus.ts';

export const isLlm = (c: Config): boolean => c.workload === 'decode' || c.workload === 'prefill';

/** Where the busiest unit's step goes (µs). */
function split(p: Projection, m: number): NonNullable<LlmRecord['split']> {
  const t = p.target;
  const busy = new Map<number, number>();
  for (const e of p.timeline) busy.set(e.device, (busy.get(e.device) ?? 0) + e.dur);
  const unit = [...busy.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
  const out = { weightsUs: 0, computeUs: 0, launchUs: 0, commUs: 0, waitUs: 0 };
  for (const n of p.graph.nodes) {
    if (n.kind === 'compute' && n.unit === unit) {
      const k = t.kernelParts(n.op);
      out.launchUs += k.floor;
      if (k.memory >= k.compute) out.weightsUs += k.memory;
      else out.computeUs += k.compute;
    } else if (n.kind === 'collective' && n.op.group.includes(unit)) out.commUs += t.collective(n.op).us;
  }
  // The busiest unit runs every micro-batch of a pipelined step.
  for (const k of ['weightsUs', 'computeUs', 'launchUs', 'commUs'] as const) out[k] *= m;
  out.waitUs = Math.max(0, p.record.stepUs - out.weightsUs - out.computeUs - out.launchUs - out.commUs);
  return out;
}

/** The fewest GPUs (tp × pp) whose busiest one holds its part; null when none up to kMaxUnits does. */
export function fewestGpus(c: Config): number | null {
  const sh = shapeOf(c);
  const eb = kElemBytes[c.precision];
  const candidates = [1, 2, 4, ...Array.from({ length: kMaxUnits / 8 }, (_, i) => 8 * (i + 1))];
  // A GPU's memory is the same however many there are.
  const capacity = targetsFor(c, layoutOf(c, 'cluster', 1)).mid.unitMemoryBytes;
  // No count whose memory is less than the weights and cache can hold them: start there.
  const bytes = modelBytes(c, eb);
  const least = (bytes.weights + bytes.kv) / capacity;
  for (const n of candidates.filter((n) => n >= least)) {
    const layout = layoutOf(c, 'cluster', n);
    const { tp, pp } = splitOf(c, n, sh);
    if (splitProblem(sh, tp, pp)) continue;
    const plan = kWorkloadSpecs[c.workload].plan(c, layout);
    if (memoryBytes(plan, eb) <= capacity) return n;
  }
  return null;
}

/** The LLM figures of one side's projection. */
export function llmRecord(
  c: Config,
  layout: Layout,
  plan: Plan,
  p: Projection,
  stepUsOf: (c: Config, layout: Layout) => number,
): LlmRecord {
  const st = stepOf(c);
  const eb = kElemBytes[c.precision];
  const bytes = modelBytes(c, eb);
  const us = p.record.stepUs;
  const decode = c.workload === 'decode';
  const tokens = decode ? st.batch : st.batch * st.queries;
  const ttftUs = decode
    ? stepUsOf({ ...c, workload: 'prefill' }, layout.style === 'wafer' ? layout : layoutOf(c, 'cluster', layout.units))
    : us;
  const fewest = layout.style === 'wafer' ? fewestWafers(c) : fewestGpus(c);
  return {
    msPerToken: decode ? us / 1e3 : us / 1e3 / st.queries,
    tokensPerSecondPerUser: decode ? 1e6 / us : (st.queries * 1e6) / us,
    tokensPerSecond: (tokens * 1e6) / us,
    ttftMs: ttftUs / 1e3,
    tokensPerJoule: p.record.joules > 0 ? tokens / p.record.joules : NaN,
    weightsGB: bytes.weights / 1e9,
    kvGB: bytes.kv / 1e9,
    fits: p.record.fits,
    minUnitsToFit: fewest === null || (layout.style === 'wafer' && fewest === kMaxWafers && !p.record.fits) ? NaN : fewest,
    split: split(p, plan.pipeline?.microbatches ?? 1),
  };
}

/** A sentence for a side that does not hold the model, proposing the fewest units that do. */
export function fitNote(c: Config, style: 'wafer' | 'cluster', r: LlmRecord): string | null {
  if (r.fits) return null;
  const model = shapeOf(c).label;
  const what = style === 'wafer' ? 'wafer systems' : 'GPUs';
  const fix = Number.isFinite(r.minUnitsToFit)
    ? `the fewest ${what} that hold it: ${r.minUnitsToFit} (${style === 'wafer' ? `wafers=${r.minUnitsToFit}` : `shards=${r.minUnitsToFit}`})`
    : `no count up to the limit holds it`;
  return `${style}: ${model} (${r.weightsGB.toFixed(1)} GB of weights, ${r.kvGB.toFixed(2)} GB of KV cache) does not fit its memory; ${fix}`;
}

export { project };
