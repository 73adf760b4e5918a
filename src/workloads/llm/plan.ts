// The program of one decode or prefill step on either side. Per layer: RMSNorm, the Q, K and V projections, the new
// keys and values written into the cache, grouped-query attention over it, the output projection, RMSNorm, the
// SwiGLU MLP, and the two residual adds. Cluster: Megatron tensor parallelism inside a stage (Q/K/V, gate and up by
// columns; output and down projections by rows, each followed by an all-reduce) and a pipeline of stages, the
// activations sent from stage to stage. Wafer: the items (embedding, layers, LM head) on tiles, weights resident in
// their SRAM, the activations streamed from tile to tile and between wafers over the systems' I/O.

import { chunks, scratchFloats, type Part } from '../../collectives/index.ts';
import type { Config } from '../../config/params.ts';
import { matmulOp } from '../../ops/index.ts';
import { attendedKeys } from '../../ops/llm.ts';
import { ProgramBuilder } from '../../engine/program.ts';
import { finish, type Layout, type Pipeline, type Placement, type Plan } from '../plan.ts';
import { headsOn, kEps, kvHeadOf, placeOnWafers, shapeOf, splitOf, stepOf, type LlmShape, type LlmStep } from './shape.ts';
import { kvPerToken, paramsOf } from './models.ts';

/**
 * A group of units that runs a run of layers together (a pipeline stage's tensor-parallel ranks, or one tile), or
 * holds the embedding table or the LM head split by vocabulary across its units.
 */
interface Segment {
  units: number[];
  /** Items of the model it holds: 0 = embedding, 1 … L = layers, L + 1 = final norm and LM head. */
  items: number[];
}

interface Ctx {
  b: ProgramBuilder;
  sh: LlmShape;
  /** The micro-batch the program runs (the whole step unless the plan is pipelined). */
  st: LlmStep;
  /** The whole step: the KV cache is held for all of its sequences. */
  full: LlmStep;
  tp: number;
  /** Query heads, KV heads and FFN columns on one tensor-parallel rank. */
  heads: number;
  kvHeads: number;
  ffn: number;
  collective: Layout['collective'];
  /** Keep every layer's output (X0 … XL) for verification; otherwise the residual stream is updated in place. */
  keep: boolean;
  inputs: Placement[];
  outputs: Placement[];
  /** The vocabulary's split across the units of the segment being laid out. */
  vocab: Part[];
}

const xName = (ctx: Ctx, l: number) => (ctx.keep ? `X${l}` : 'x');

/** Buffers a unit of a segment needs for its items. */
function allocate(ctx: Ctx, u: number, r: number, items: number[]): void {
  const { sh, st, heads, kvHeads, ffn: f } = ctx;
  const rows = st.batch * st.queries;
  const hd = sh.headDim;
  const buf = ctx.b.program.buffers[u]!;
  const L = sh.layers;
  const v = ctx.vocab[r]!.count;
  if (ctx.keep) for (const i of items) if (i >= 1 && i <= L) buf[`X${i - 1}`] ??= rows * sh.hidden;
  if (ctx.keep && items.includes(L + 1)) buf[`X${L}`] ??= rows * sh.hidden;
  if (!ctx.keep) buf.x = rows * sh.hidden;
  for (const i of items) {
    if (i === 0) buf.E = v * sh.hidden;
    if (i === L + 1) Object.assign(buf, { nf: sh.hidden, lm: sh.hidden * v, xl: st.batch * sh.hidden, logits: st.batch * v });
    if (i < 1 || i > L) continue;
    const l = i - 1;
    Object.assign(buf, {
      [`L${l}.n1`]: sh.hidden,
      [`L${l}.n2`]: sh.hidden,
      [`L${l}.wq`]: sh.hidden * heads * hd,
      [`L${l}.wk`]: sh.hidden * kvHeads * hd,
      [`L${l}.wv`]: sh.hidden * kvHeads * hd,
      [`L${l}.wo`]: heads * hd * sh.hidden,
      [`L${l}.wg`]: sh.hidden * f,
      [`L${l}.wu`]: sh.hidden * f,
      [`L${l}.wd`]: f * sh.hidden,
      [`L${l}.k`]: ctx.full.batch * st.ctx * kvHeads * hd,
      [`L${l}.v`]: ctx.full.batch * st.ctx * kvHeads * hd,
    });
    if (ctx.keep) buf[`X${l + 1}`] = rows * sh.hidden;
  }
  if (items.some((i) => i >= 1)) {
    Object.assign(buf, {
      xn: rows * sh.hidden,
      q: rows * heads * hd,
      kn: rows * kvHeads * hd,
      vn: rows * kvHeads * hd,
      at: rows * heads * hd,
      y: rows * sh.hidden,
      g: rows * f,
      up: rows * f,
    });
  }
}

/** Input placements of a unit: its slices of every weight, and of the cache of the tokens already there. */
function place(ctx: Ctx, u: number, r: number, items: number[]): void {
  const { sh, st, tp, heads, kvHeads, ffn: f, inputs } = ctx;
  const hd = sh.headDim;
  const H = sh.hidden;
  const q0 = r * heads * hd;
  const kv0 = kvHeadOf(sh, tp, r) * hd;
  const v = ctx.vocab[r]!;
  const put = (buf: string, matrix: string, r0: number, c0: number, rows: number, cols: number) =>
    inputs.push({ unit: u, buf, off: 0, matrix, r0, c0, rows, cols });
  for (const i of items) {
    if (i === 0) put('E', 'E', v.off, 0, v.count, H);
    if (i === sh.layers + 1) {
      put('nf', 'Wnf', 0, 0, 1, H);
      put('lm', 'Wlm', 0, v.off, H, v.count);
    }
    if (i < 1 || i > sh.layers) continue;
    const l = i - 1;
    put(`L${l}.n1`, `Wn1.${l}`, 0, 0, 1, H);
    put(`L${l}.n2`, `Wn2.${l}`, 0, 0, 1, H);
    put(`L${l}.wq`, `Wq.${l}`, 0, q0, H, heads * hd);
    put(`L${l}.wk`, `Wk.${l}`, 0, kv0, H, kvHeads * hd);
    put(`L${l}.wv`, `Wv.${l}`, 0, kv0, H, kvHeads * hd);
    put(`L${l}.wo`, `Wo.${l}`, q0, 0, heads * hd, H);
    put(`L${l}.wg`, `Wg.${l}`, 0, r * f, H, f);
    put(`L${l}.wu`, `Wu.${l}`, 0, r * f, H, f);
    put(`L${l}.wd`, `Wd.${l}`, r * f, 0, f, H);
    // The cache of the tokens already there: [batch][ctx][kvHeads][headDim] for this rank's KV heads.
    if (st.past > 0) {
      put(`L${l}.k`, `K.${l}`, 0, kv0, ctx.full.batch * st.ctx, kvHeads * hd);
      put(`L${l}.v`, `V.${l}`, 0, kv0, ctx.full.batch * st.ctx, kvHeads * hd);
    }
  }
}

/** One transformer layer on a tensor-parallel group (one unit when tp = 1). */
function layer(ctx: Ctx, group: number[], l: number): void {
  const { b, sh, st, heads, kvHeads, ffn: f } = ctx;
  const rows = st.batch * st.queries;
  const H = sh.hidden;
  const hd = sh.headDim;
  const xin = xName(ctx, l);
  const x = xName(ctx, l + 1);
  const tag = `layer ${l + 1}`;
  for (const u of group) {
    if (ctx.keep)
      b.push(u, { kind: 'copy', dst: x, offDst: 0, src: xin, offSrc: 0, count: rows * H, label: `${tag} residual`, fused: true });
    b.push(u, {
      kind: 'rmsnorm',
      x,
      offX: 0,
      w: `L${l}.n1`,
      offW: 0,
      y: 'xn',
      offY: 0,
      rows,
      dim: H,
      eps: kEps,
      label: `${tag} attention norm`,
    });
    b.push(u, matmulOp('xn', `L${l}.wq`, 'q', [rows, heads * hd, H], `${tag} Q projection`));
    b.push(u, { ...matmulOp('xn', `L${l}.wk`, 'kn', [rows, kvHeads * hd, H], `${tag} K projection`), fused: true });
    b.push(u, { ...matmulOp('xn', `L${l}.wv`, 'vn', [rows, kvHeads * hd, H], `${tag} V projection`), fused: true });
    // Each sequence's new keys and values go after its cached ones: one strided copy per cache.
    const run = st.queries * kvHeads * hd;
    const blocks = { n: st.batch, srcStride: run, dstStride: st.ctx * kvHeads * hd };
    for (const [kv, what] of [
      ['k', 'keys'],
      ['v', 'values'],
    ] as const) {
      const label = `${tag} ${what} into the cache`;
      const offDst = st.past * kvHeads * hd;
      b.push(u, { kind: 'copy', dst: `L${l}.${kv}`, offDst, src: `${kv}n`, offSrc: 0, count: run, blocks, label, fused: true });
    }
    b.push(u, {
      kind: 'attention',
      q: 'q',
      offQ: 0,
      k: `L${l}.k`,
      offK: 0,
      v: `L${l}.v`,
      offV: 0,
      out: 'at',
      offOut: 0,
      batch: st.batch,
      queries: st.queries,
      heads,
      kvHeads,
      headDim: hd,
      past: st.past,
      ctx: st.ctx,
      label: `${tag} attention`,
    });
    b.push(u, matmulOp('at', `L${l}.wo`, 'y', [rows, H, heads * hd], `${tag} output projection`));
  }
  reduceAndAdd(ctx, group, x, rows * H, `${tag} all-reduce after attention`, `${tag} residual add`);
  for (const u of group) {
    b.push(u, { kind: 'rmsnorm', x, offX: 0, w: `L${l}.n2`, offW: 0, y: 'xn', offY: 0, rows, dim: H, eps: kEps, label: `${tag} MLP norm` });
    b.push(u, matmulOp('xn', `L${l}.wg`, 'g', [rows, f, H], `${tag} gate projection`));
    b.push(u, { ...matmulOp('xn', `L${l}.wu`, 'up', [rows, f, H], `${tag} up projection`), fused: true });
    b.push(u, { kind: 'swiglu', gate: 'g', offGate: 0, up: 'up', offUp: 0, out: 'g', offOut: 0, count: rows * f, label: `${tag} SwiGLU` });
    b.push(u, matmulOp('g', `L${l}.wd`, 'y', [rows, H, f], `${tag} down projection`));
  }
  reduceAndAdd(ctx, group, x, rows * H, `${tag} all-reduce after the MLP`, `${tag} residual add`);
}

/** Sum the group's partial outputs in y (when the layer is split, tp > 1) and add them to the residual stream x. */
function reduceAndAdd(ctx: Ctx, group: number[], x: string, count: number, reduceLabel: string, addLabel: string): void {
  const { b } = ctx;
  if (group.length > 1)
    b.collective({ op: 'allreduce', algorithm: ctx.collective, group, buf: 'y', off: 0, count, scratch: 'scratch', label: reduceLabel });
  for (const u of group) b.push(u, { kind: 'add', dst: x, offDst: 0, src: 'y', offSrc: 0, count, label: addLabel, fused: true });
}

/** The final norm and the LM head (vocabulary split across the group), on the last token of every sequence. */
function head(ctx: Ctx, group: number[]): void {
  const { b, sh, st } = ctx;
  const H = sh.hidden;
  const x = xName(ctx, sh.layers);
  const parts = ctx.vocab;
  group.forEach((u, r) => {
    const v = parts[r]!.count;
    for (let s = 0; s < st.batch; s++)
      b.push(u, {
        kind: 'copy',
        dst: 'xl',
        offDst: s * H,
        src: x,
        offSrc: (s * st.queries + st.queries - 1) * H,
        count: H,
        label: 'last token of each sequence',
        fused: true,
      });
    b.push(u, {
      kind: 'rmsnorm',
      x: 'xl',
      offX: 0,
      w: 'nf',
      offW: 0,
      y: 'xl',
      offY: 0,
      rows: st.batch,
      dim: H,
      eps: kEps,
      label: 'final norm',
    });
    b.push(u, matmulOp('xl', 'lm', 'logits', [st.batch, v, H], 'LM head'));
    ctx.outputs.push({ unit: u, buf: 'logits', off: 0, matrix: 'logits', r0: 0, c0: parts[r]!.off, rows: st.batch, cols: v });
  });
}

/** The activations of the step, from one group to the next: rank r to rank r, or one unit to all of the next group. */
function handOff(ctx: Ctx, from: number[], to: number[], l: number, label: string): void {
  const rows = ctx.st.batch * ctx.st.queries;
  const x = xName(ctx, l);
  const send = (root: number, group: number[]) =>
    ctx.b.collective({
      op: 'broadcast',
      algorithm: 'ring',
      group,
      root,
      src: { buf: x, off: 0 },
      buf: x,
      off: 0,
      count: rows * ctx.sh.hidden,
      label,
    });
  if (from.length === to.length) from.forEach((u, r) => send(u, [u, to[r]!]));
  else send(from.at(-1)!, [from.at(-1)!, ...to.filter((u) => u !== from.at(-1))]);
}

/**
 * How a projected step flows through a pipeline of `stages` (tiles, or the cluster's pipeline stages) — one micro-batch
 * programmed, the others streamed behind it. Decode: the batch split into at most `stages` groups of sequences,
 * in steady state (a group's next token enters the first stage as its last one leaves), so a token costs
 * max(one pass, m × the busiest stage). Prefill: about 4 micro-batches per stage (groups of whole prompts, or a
 * prompt in chunks, the middle chunk standing for all: its attention is the mean), filled and drained, so the
 * step costs one pass + (m − 1) × the busiest stage. One stage: the whole step at once.
 */
export function microbatch(full: LlmStep, kind: 'decode' | 'prefill', stages: number): { pipeline: Pipeline | null; step: LlmStep } {
  if (stages <= 1) return { pipeline: null, step: full };
  if (kind === 'decode') {
    const m = Math.min(full.batch, stages);
    if (m <= 1) return { pipeline: null, step: full };
    const seqs = Math.ceil(full.batch / m);
    const note = `pipelined: ${m} groups of ≤ ${seqs} sequences in flight, one shown`;
    return { pipeline: { microbatches: m, steady: true, note }, step: { ...full, batch: seqs } };
  }
  const want = 4 * stages;
  if (full.batch >= want) {
    const seqs = Math.ceil(full.batch / want);
    const m = Math.ceil(full.batch / seqs);
    const note = `pipelined: ${m} groups of ≤ ${seqs} prompts, one shown`;
    return { pipeline: { microbatches: m, steady: false, note }, step: { ...full, batch: seqs } };
  }
  const per = Math.ceil(want / full.batch);
  const chunk = Math.ceil(full.queries / per);
  const count = Math.ceil(full.queries / chunk);
  const m = full.batch * count;
  if (m <= 1) return { pipeline: null, step: full };
  const mid = Math.floor((count - 1) / 2);
  const note = `pipelined: each prompt in ${count} chunks of ${chunk} tokens (${m} micro-batches), the middle chunk shown`;
  return {
    pipeline: { microbatches: m, steady: false, note },
    step: { batch: 1, queries: chunk, past: full.past + mid * chunk, ctx: full.ctx },
  };
}

function build(c: Config, sh: LlmShape, layout: Layout, segments: Segment[], tp: number, keep: boolean, describe: string): Plan {
  const full = stepOf(c);
  const stages = segments.filter((s) => s.items.some((i) => i >= 1)).length;
  // A local run (keep) is the whole step, checked element by element; a projection runs one micro-batch of the pipeline.
  const micro = keep ? { pipeline: null, step: full } : microbatch(full, c.workload as 'decode' | 'prefill', stages);
  const st = micro.step;
  const b = new ProgramBuilder(layout.units);
  const { heads, kvHeads } = headsOn(sh, tp);
  const ffn = sh.ffn / tp;
  const vocabOf = segments.map((seg) => chunks(sh.vocab, seg.units.length));
  const ctx: Ctx = { b, sh, st, full, tp, heads, kvHeads, ffn, collective: layout.collective, keep, inputs: [], outputs: [], vocab: [] };
  const rows = st.batch * st.queries;
  for (const [k, seg] of segments.entries()) {
    ctx.vocab = vocabOf[k]!;
    const scratch = tp > 1 ? scratchFloats(layout.collective, { group: seg.units, count: rows * sh.hidden }) : 0;
    seg.units.forEach((u, r) => {
      allocate(ctx, u, r, seg.items);
      place(ctx, u, r, seg.items);
      if (tp > 1) b.program.buffers[u]!.scratch = scratch;
    });
  }
  // The step starts from the embeddings of its tokens (the lookup, a gather of a few rows, is not modelled), on the
  // units of the first layer.
  const first = segments.find((s) => s.items.some((i) => i >= 1 && i <= sh.layers))!;
  for (const u of first.units) {
    b.program.buffers[u]![xName(ctx, 0)] ??= rows * sh.hidden;
    ctx.inputs.push({ unit: u, buf: xName(ctx, 0), off: 0, matrix: 'X0', r0: 0, c0: 0, rows, cols: sh.hidden });
  }
  let last: Segment | null = null;
  for (const [k, seg] of segments.entries()) {
    ctx.vocab = vocabOf[k]!;
    const layers = seg.items.filter((i) => i >= 1 && i <= sh.layers);
    if (last && last !== seg && (layers.length || seg.items.includes(sh.layers + 1))) {
      const l = (layers[0] ?? sh.layers + 1) - 1;
      for (const u of seg.units) b.program.buffers[u]![xName(ctx, l)] ??= rows * sh.hidden;
      handOff(ctx, last.units, seg.units, l, `activations to ${layout.style === 'wafer' ? 'the next tile' : 'the next stage'}`);
    }
    for (const i of layers) layer(ctx, seg.units, i - 1);
    if (seg.items.includes(sh.layers + 1)) head(ctx, seg.units);
    if (keep)
      for (const i of layers)
        for (const u of seg.units)
          ctx.outputs.push({ unit: u, buf: `X${i}`, off: 0, matrix: `X${i}`, r0: 0, c0: 0, rows, cols: sh.hidden });
    if (layers.length) last = seg;
  }
  const matrices: Record<string, [number, number]> = {
    X0: [rows, sh.hidden],
    E: [sh.vocab, sh.hidden],
    Wnf: [1, sh.hidden],
    Wlm: [sh.hidden, sh.vocab],
    logits: [st.batch, sh.vocab],
  };
  for (let l = 0; l < sh.layers; l++) {
    const kv = sh.kvHeads * sh.headDim;
    Object.assign(matrices, {
      [`X${l + 1}`]: [rows, sh.hidden],
      [`Wn1.${l}`]: [1, sh.hidden],
      [`Wn2.${l}`]: [1, sh.hidden],
      [`Wq.${l}`]: [sh.hidden, sh.hidden],
      [`Wk.${l}`]: [sh.hidden, kv],
      [`Wv.${l}`]: [sh.hidden, kv],
      [`Wo.${l}`]: [sh.hidden, sh.hidden],
      [`Wg.${l}`]: [sh.hidden, sh.ffn],
      [`Wu.${l}`]: [sh.hidden, sh.ffn],
      [`Wd.${l}`]: [sh.ffn, sh.hidden],
      [`K.${l}`]: [full.batch * st.ctx, kv],
      [`V.${l}`]: [full.batch * st.ctx, kv],
    });
  }
  const p = paramsOf(sh);
  // Useful FLOPs: 2 per weight per token (the embedding table, V·H, a lookup: none; the LM head, V·H, on the last
  // token of each sequence only), plus attention's 4·d per attended key and head.
  const vh = sh.vocab * sh.hidden;
  const fullRows = full.batch * full.queries;
  const attended = full.batch * attendedKeys(full);
  const flops = 2 * (p.total - vh) * fullRows - 2 * vh * (fullRows - full.batch) + 4 * sh.layers * sh.heads * sh.headDim * attended;
  const pipeline = micro.pipeline ?? undefined;
  const piped = pipeline ? `; ${pipeline.note}` : '';
  return finish(b.program, {
    matrices,
    inputs: ctx.inputs,
    outputs: ctx.outputs,
    result: 'logits',
    flops,
    layout,
    describe: describe + piped,
    ...(pipeline ? { pipeline } : {}),
  });
}

/** The cluster: pipeline stages of tensor-parallel groups, consecutive units in a stage (inside a node). */
export function clusterLlmPlan(c: Config, layout: Layout, keep = false): Plan {
  const sh = shapeOf(c);
  const { tp, pp } = splitOf(c, layout.units, sh);
  const stages = chunks(sh.layers, pp);
  const segments: Segment[] = stages.map((s, k) => ({
    units: Array.from({ length: tp }, (_, r) => k * tp + r),
    items: [...(k === 0 ? [0] : []), ...Array.from({ length: s.count }, (_, i) => s.off + i + 1), ...(k === pp - 1 ? [sh.layers + 1] : [])],
  }));
  return build(c, sh, layout, segments, tp, keep, `${sh.label}, ${c.workload}: tensor parallel ${tp} × pipeline ${pp}`);
}

/**
 * The wafer: the model's items on its tiles in order, across `wafers` systems; the embedding table and the LM head
 * each split by vocabulary over `slices` tiles (as many as a part needs to fit a tile).
 */
export function waferLlmPlan(c: Config, layout: Layout, keep = false): Plan {
  const sh = shapeOf(c);
  const wafers = layout.wafers ?? 1;
  const slices = layout.vocabSlices ?? 1;
  const tileOf = placeOnWafers(sh, wafers, layout.mesh, slices);
  // Items: embedding parts, layers, LM head parts, each on its tile; consecutive layers sharing a tile share a segment.
  const kindOf = (i: number) => (i < slices ? 0 : i < slices + sh.layers ? i - slices + 1 : sh.layers + 1);
  const layers: Segment[] = [];
  const embed: number[] = [];
  const lm: number[] = [];
  tileOf.forEach((t, i) => {
    const item = kindOf(i);
    if (item === 0) embed.push(t);
    else if (item === sh.layers + 1) lm.push(t);
    else {
      const last = layers.at(-1);
      if (last && last.units[0] === t) last.items.push(item);
      else layers.push({ units: [t], items: [item] });
    }
  });
  const segments = [{ units: [...new Set(embed)], items: [0] }, ...layers, { units: [...new Set(lm)], items: [sh.layers + 1] }];
  const tiles = new Set(tileOf).size;
  const vocab = slices > 1 ? `; embedding and LM head each over ${slices} tiles` : '';
  return build(
    c,
    sh,
    layout,
    segments,
    1,
    keep,
    `${sh.label}, ${c.workload}: ${sh.layers} layers on ${tiles} tiles of ${wafers} wafer${wafers > 1 ? 's' : ''}, weights in SRAM${vocab}`,
  );
}

/** Bytes of weights and of the KV cache of the whole model, at `elemBytes` per element. */
export function modelBytes(c: Config, elemBytes: number): { weights: number; kv: number } {
  const sh = shapeOf(c);
  const st = stepOf(c);
  return { weights: paramsOf(sh).total * elemBytes, kv: st.batch * st.ctx * kvPerToken(sh) * elemBytes };
}
