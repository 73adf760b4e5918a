// The transformer MLP forward, Y = GeLU(X·W1)·W2 per layer. Cluster: Megatron tensor parallelism (W1 by columns,
// W2 by rows, one all-reduce of Y per layer; the last one a reduce-scatter when Y may stay sharded). Wafer: the
// same layers weight-stationary on the tile mesh, activations streaming: X·W1 partials reduced down mesh columns,
// H·W2 partials across mesh rows.

import { chunks, scratchFloats } from '../collectives/index.ts';
import { matmulOp } from '../ops/index.ts';
import { ProgramBuilder, type Program } from '../engine/program.ts';
import { mlpReference } from '../engine/verify.ts';
import { finish, gatherBlocks, lineRing, type Layout, type Placement, type Plan } from './plan.ts';
import type { WorkloadSpec } from './workload.ts';

function mlpMatrices(tokens: number, hidden: number, layers: number): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = { X: [tokens, hidden], Y: [tokens, hidden] };
  for (let l = 0; l < layers; l++) {
    out[`W1.${l}`] = [hidden, 4 * hidden];
    out[`W2.${l}`] = [4 * hidden, hidden];
  }
  return out;
}

const flopsOf = (tokens: number, hidden: number, layers: number): number => layers * 4 * tokens * hidden * 4 * hidden;

/**
 * Megatron MLP on n shards. Layer l reads X (l = 0) or Y(l−1) and writes Y(l) into Y0/Y1 alternately, so X is
 * never overwritten.
 */
/** An MLP's plan: its matrices, result and useful FLOPs are the same whichever side lays it out. */
function mlpPlan(
  p: Program,
  tokens: number,
  hidden: number,
  layers: number,
  x: { inputs: Placement[]; outputs: Placement[]; layout: Layout; describe: string },
): Plan {
  return finish(p, {
    matrices: mlpMatrices(tokens, hidden, layers),
    inputs: x.inputs,
    outputs: x.outputs,
    result: 'Y',
    flops: flopsOf(tokens, hidden, layers),
    layout: x.layout,
    describe: x.describe,
  });
}

export function megatronPlan(tokens: number, hidden: number, layers: number, layout: Layout): Plan {
  const shards = layout.units;
  const F = 4 * hidden;
  const b = new ProgramBuilder(shards);
  const p = b.program;
  const fs = chunks(F, shards);
  const group = [...Array(shards).keys()];
  const sharded = layout.output === 'sharded';
  const tokenParts = chunks(tokens, shards);
  const parts = tokenParts.map((x) => ({ off: x.off * hidden, count: x.count * hidden }));
  const scratch = Math.max(
    scratchFloats(layout.collective, { group, count: tokens * hidden }),
    scratchFloats(layout.collective, { group, count: tokens * hidden, parts }),
  );
  const inputs: Placement[] = [];
  const outputs: Placement[] = [];
  const last = `Y${(layers - 1) % 2}`;
  for (let r = 0; r < shards; r++) {
    const f = fs[r]!.count;
    p.buffers[r] = {
      X: tokens * hidden,
      Y0: tokens * hidden,
      Y1: tokens * hidden,
      H: tokens * f,
      W1: layers * hidden * f,
      W2: layers * f * hidden,
      scratch,
    };
    inputs.push({ unit: r, buf: 'X', off: 0, matrix: 'X', r0: 0, c0: 0, rows: tokens, cols: hidden });
    for (let l = 0; l < layers; l++) {
      inputs.push({ unit: r, buf: 'W1', off: l * hidden * f, matrix: `W1.${l}`, r0: 0, c0: fs[r]!.off, rows: hidden, cols: f });
      inputs.push({ unit: r, buf: 'W2', off: l * f * hidden, matrix: `W2.${l}`, r0: fs[r]!.off, c0: 0, rows: f, cols: hidden });
    }
    if (sharded)
      outputs.push({
        unit: r,
        buf: last,
        off: parts[r]!.off,
        matrix: 'Y',
        r0: tokenParts[r]!.off,
        c0: 0,
        rows: tokenParts[r]!.count,
        cols: hidden,
      });
    else outputs.push({ unit: r, buf: last, off: 0, matrix: 'Y', r0: 0, c0: 0, rows: tokens, cols: hidden });
  }
  for (let l = 0; l < layers; l++) {
    const x = l === 0 ? 'X' : `Y${(l - 1) % 2}`;
    const y = `Y${l % 2}`;
    for (let r = 0; r < shards; r++) {
      const f = fs[r]!.count;
      b.push(r, matmulOp(x, { buf: 'W1', off: l * hidden * f }, 'H', [tokens, f, hidden], `layer ${l + 1} X·W1 (column-parallel)`));
      b.push(r, { kind: 'gelu', buf: 'H', off: 0, count: tokens * f, label: `layer ${l + 1} GeLU` });
      b.push(r, matmulOp('H', { buf: 'W2', off: l * f * hidden }, y, [tokens, hidden, f], `layer ${l + 1} H·W2 (row-parallel)`));
    }
    const scatter = sharded && l === layers - 1;
    b.collective({
      op: scatter ? 'reducescatter' : 'allreduce',
      algorithm: layout.collective,
      group,
      buf: y,
      off: 0,
      count: tokens * hidden,
      ...(scatter ? { parts } : {}),
      scratch: 'scratch',
      label: `layer ${l + 1} ${scatter ? 'reduce-scatter' : 'all-reduce'} Y`,
    });
  }
  return mlpPlan(p, tokens, hidden, layers, {
    inputs,
    outputs,
    layout,
    describe: `Megatron MLP, ${layers} layer(s), tensor-parallel over ${shards} shards${sharded ? ', Y left split by tokens' : ''}`,
  });
}

/**
 * Weight-stationary MLP on an R×C mesh: tile (i, j) keeps W1[hidden block i, 4h block j] and W2[4h block j, hidden
 * block i]. X·W1 partials are all-reduced down mesh columns, GeLU, then H·W2 partials across mesh rows, which
 * leaves the next layer's input block on every tile of the row. The last layer's row reduction is a
 * reduce-scatter by tokens (sharded), or an all-reduce followed by an all-gather down columns (replicated).
 */
export function waferMlpPlan(tokens: number, hidden: number, layers: number, layout: Layout): Plan {
  const { rows: R, cols: C } = layout.mesh;
  const F = 4 * hidden;
  const hs = chunks(hidden, R);
  const fs = chunks(F, C);
  const b = new ProgramBuilder(R * C);
  const p = b.program;
  const sharded = layout.output === 'sharded';
  const tokenParts = chunks(tokens, C);
  // Ring position q of row i ends a reduce-scatter with token part q of the row's block.
  const rowParts = hs.map((x) => tokenParts.map((t) => ({ off: t.off * x.count, count: t.count * x.count })));
  const inputs: Placement[] = [];
  const outputs: Placement[] = [];
  const last = `Y${(layers - 1) % 2}`;
  const rowLine = lineRing(C);
  const colLine = lineRing(R);
  const rowRing = (i: number) => rowLine.map((j) => i * C + j);
  const colRing = (j: number) => colLine.map((i) => i * C + j);
  for (let i = 0; i < R; i++) {
    for (let j = 0; j < C; j++) {
      const u = i * C + j;
      const h = hs[i]!.count;
      const f = fs[j]!.count;
      const scratch = Math.max(
        scratchFloats('ring', { group: colRing(j), count: tokens * f }),
        scratchFloats('ring', { group: rowRing(i), count: tokens * h }),
        scratchFloats('ring', { group: rowRing(i), count: tokens * h, parts: rowParts[i]! }),
      );
      p.buffers[u] = { X: tokens * h, Y0: tokens * h, Y1: tokens * h, H: tokens * f, W1: layers * h * f, W2: layers * f * h, scratch };
      inputs.push({ unit: u, buf: 'X', off: 0, matrix: 'X', r0: 0, c0: hs[i]!.off, rows: tokens, cols: h });
      for (let l = 0; l < layers; l++) {
        inputs.push({ unit: u, buf: 'W1', off: l * h * f, matrix: `W1.${l}`, r0: hs[i]!.off, c0: fs[j]!.off, rows: h, cols: f });
        inputs.push({ unit: u, buf: 'W2', off: l * f * h, matrix: `W2.${l}`, r0: fs[j]!.off, c0: hs[i]!.off, rows: f, cols: h });
      }
    }
  }
  for (let l = 0; l < layers; l++) {
    const x = l === 0 ? 'X' : `Y${(l - 1) % 2}`;
    const y = `Y${l % 2}`;
    for (let u = 0; u < R * C; u++) {
      const h = hs[Math.floor(u / C)]!.count;
      const f = fs[u % C]!.count;
      b.push(u, matmulOp(x, { buf: 'W1', off: l * h * f }, 'H', [tokens, f, h], `layer ${l + 1} X·W1 partial`));
    }
    for (let j = 0; j < C; j++)
      b.collective({
        op: 'allreduce',
        algorithm: 'ring',
        group: colRing(j),
        buf: 'H',
        off: 0,
        count: tokens * fs[j]!.count,
        scratch: 'scratch',
        label: `layer ${l + 1} column ${j} all-reduce H`,
      });
    for (let u = 0; u < R * C; u++) {
      const h = hs[Math.floor(u / C)]!.count;
      const f = fs[u % C]!.count;
      b.push(u, { kind: 'gelu', buf: 'H', off: 0, count: tokens * f, label: `layer ${l + 1} GeLU` });
      b.push(u, matmulOp('H', { buf: 'W2', off: l * f * h }, y, [tokens, h, f], `layer ${l + 1} H·W2 partial`));
    }
    const scatter = sharded && l === layers - 1;
    for (let i = 0; i < R; i++) {
      const h = hs[i]!.count;
      b.collective({
        op: scatter ? 'reducescatter' : 'allreduce',
        algorithm: 'ring',
        group: rowRing(i),
        buf: y,
        off: 0,
        count: tokens * h,
        ...(scatter ? { parts: rowParts[i]! } : {}),
        scratch: 'scratch',
        label: `layer ${l + 1} row ${i} ${scatter ? 'reduce-scatter' : 'all-reduce'} Y`,
      });
    }
  }
  if (sharded) {
    for (let i = 0; i < R; i++)
      for (let j = 0; j < C; j++) {
        const h = hs[i]!.count;
        const t = tokenParts[rowLine.indexOf(j)]!;
        outputs.push({ unit: i * C + j, buf: last, off: t.off * h, matrix: 'Y', r0: t.off, c0: hs[i]!.off, rows: t.count, cols: h });
      }
  } else if (R > 1) {
    // Every tile of row i holds Y[:, block i]; gather the blocks down each column into a block-major Yg.
    for (let j = 0; j < C; j++) {
      const group = Array.from({ length: R }, (_, i) => i * C + j);
      const blocks = hs.map((x, i) => ({ unit: i * C + j, buf: last, off: 0, matrix: 'Y', r0: 0, c0: x.off, rows: tokens, cols: x.count }));
      outputs.push(
        ...gatherBlocks(b, group, blocks, { buf: 'Yg', algorithm: 'ring', label: `column ${j} all-gather Y`, copyLabel: 'own Y block' }),
      );
    }
  } else {
    for (let j = 0; j < C; j++) outputs.push({ unit: j, buf: last, off: 0, matrix: 'Y', r0: 0, c0: 0, rows: tokens, cols: hidden });
  }
  return mlpPlan(p, tokens, hidden, layers, {
    inputs,
    outputs,
    layout,
    describe: `weight-stationary MLP on ${R}x${C} tiles, ${layers} layer(s)${sharded ? ', Y left split over tiles' : ', Y gathered on every tile'}`,
  });
}

export const mlp: WorkloadSpec = {
  name: 'mlp',
  label: 'Transformer MLP (Megatron)',
  kind: 'step',
  params: ['tokens', 'hidden', 'layers', 'output'],
  problem(c, layout) {
    const n = layout.units;
    if (layout.style === 'wafer') {
      const { rows: R, cols: C } = layout.mesh;
      if (c.hidden < R || 4 * c.hidden < C) return `tiles=${R}x${C} need hidden ≥ ${R} and 4·hidden ≥ ${C}; got hidden=${c.hidden}`;
      if (c.output === 'sharded' && c.tokens < C)
        return `tiles=${R}x${C} with output=sharded need tokens ≥ ${C} (Y is split by tokens across a row); got tokens=${c.tokens}`;
      return null;
    }
    if (4 * c.hidden < n) return `mlp over ${n} shards needs 4·hidden ≥ ${n}; got hidden=${c.hidden}`;
    if (c.output === 'sharded' && c.tokens < n)
      return `mlp over ${n} shards with output=sharded needs tokens ≥ ${n} (Y is split by tokens); got tokens=${c.tokens}`;
    return null;
  },
  plan: (c, layout) =>
    layout.style === 'wafer' ? waferMlpPlan(c.tokens, c.hidden, c.layers, layout) : megatronPlan(c.tokens, c.hidden, c.layers, layout),
  strategy: (_c, layout) => (layout.style === 'wafer' ? 'weight-stationary' : 'megatron'),
  async reference(c, plan, inputs) {
    const F = 4 * c.hidden;
    const W1 = await Promise.all(Array.from({ length: c.layers }, (_, l) => inputs.get(`W1.${l}`, c.hidden, F)));
    const W2 = await Promise.all(Array.from({ length: c.layers }, (_, l) => inputs.get(`W2.${l}`, F, c.hidden)));
    return mlpReference(await inputs.get('X', c.tokens, c.hidden), W1, W2, c.tokens, c.hidden, plan.layout.units);
  },
  atSize: (c, size) => ({ ...c, tokens: size, hidden: size }),
  size: (c) => Math.max(c.tokens, c.hidden),
  sizeLabel: 'tokens = hidden',
};
