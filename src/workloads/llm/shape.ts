// What a decode or prefill step is made of: the model's shape (a preset or the parameters), the batch and the
// KV cache, the cluster's tensor- and pipeline-parallel split, the wafer's placement of the model on its tiles, and
// the scaled-down instance of the same structure that runs here.

import type { Config, Grid } from '../../config/params.ts';
import { meshRing } from '../plan.ts';
import { customShape, kModels, type ModelShape } from './models.ts';

/** RMSNorm's epsilon (Llama 3's norm_eps), in the programs and in their reference. */
export const kEps = 1e-5;

export interface LlmShape extends ModelShape {
  headDim: number;
}

export function shapeOf(c: Config): LlmShape {
  const m: ModelShape =
    c.model === 'custom'
      ? {
          name: 'custom',
          label: 'custom model',
          hidden: c.hidden,
          layers: c.layers,
          ...customShape(c.hidden, c),
          source: 'the hidden, layers, heads, kvHeads, ffn and vocab parameters',
        }
      : kModels[c.model];
  return { ...m, headDim: m.hidden / m.heads };
}

/** One step: `queries` new tokens for each of `batch` sequences, over `past` tokens already cached; cache rows `ctx`. */
export interface LlmStep {
  batch: number;
  queries: number;
  past: number;
  ctx: number;
}

/** The step of `c.workload`: one new token after `context` cached ones (decode), or whole prompts (prefill). */
export const stepOf = (c: Config): LlmStep =>
  c.workload === 'decode'
    ? { batch: c.batch, queries: 1, past: c.context, ctx: c.context + 1 }
    : { batch: c.batch, queries: c.prompt, past: 0, ctx: c.prompt };

/** The largest divisor of n that is at most `most`. */
const divisorAtMost = (n: number, most: number): number => {
  for (let d = Math.min(n, most); d >= 1; d--) if (n % d === 0) return d;
  return 1;
};

/** The cluster's split: tensor parallel inside a node (as many as the heads allow), pipeline across nodes. */
export function splitOf(c: Config, units: number, sh: LlmShape): { tp: number; pp: number } {
  if (c.tp !== null && units % c.tp === 0) return { tp: c.tp, pp: units / c.tp };
  if (c.pp !== null && units % c.pp === 0) return { tp: units / c.pp, pp: c.pp };
  const tp = divisorAtMost(units, Math.min(c.gpusPerNode, sh.heads));
  return { tp, pp: units / tp };
}

/** Why a split cannot hold the model's heads or layers, or null. */
export function splitProblem(sh: LlmShape, tp: number, pp: number): string | null {
  if (sh.heads % tp !== 0) return `tp=${tp} must divide the ${sh.heads} attention heads`;
  if (sh.kvHeads % tp !== 0 && tp % sh.kvHeads !== 0) return `tp=${tp} must divide, or be a multiple of, the ${sh.kvHeads} KV heads`;
  if (sh.ffn % tp !== 0) return `tp=${tp} must divide the FFN size ${sh.ffn}`;
  if (pp > sh.layers) return `pp=${pp} is more stages than the ${sh.layers} layers`;
  return null;
}

/** Query heads and KV heads on one tensor-parallel rank (KV heads replicated when there are fewer than ranks). */
export const headsOn = (sh: LlmShape, tp: number): { heads: number; kvHeads: number } => ({
  heads: sh.heads / tp,
  kvHeads: Math.max(1, sh.kvHeads / tp),
});

/** The first KV head rank r holds. */
export const kvHeadOf = (sh: LlmShape, tp: number, r: number): number => Math.floor((r * sh.kvHeads) / tp);

export function waferMesh(tilesPerWafer: number): Grid {
  const rows = Math.max(1, Math.floor(Math.sqrt(tilesPerWafer)));
  return { rows, cols: Math.ceil(tilesPerWafer / rows) };
}

/**
 * The tile (unit) of each of the wafer's items in order — the embedding table in `slices` parts, each layer, the
 * final norm and LM head in `slices` parts (vocabulary split): contiguous runs over the tiles of W wafers (each
 * wafer's tiles along a ring that joins neighbours).
 */
export function placeOnWafers(sh: LlmShape, wafers: number, mesh: Grid, slices: number): number[] {
  const items = sh.layers + 2 * slices;
  const per = mesh.rows * mesh.cols;
  const order = meshRing(mesh);
  const tiles = Array.from({ length: wafers * per }, (_, t) => Math.floor(t / per) * per + order[t % per]!);
  const n = tiles.length;
  return Array.from({ length: items }, (_, i) => tiles[n >= items ? i : Math.floor((i * n) / items)]!);
}

/**
 * The scaled-down instance that runs here: the same layers, GQA ratio and FFN ratio, with the width shrunk so that
 * a step fits this adapter (64 wide, 8 heads), a 256-token vocabulary, and at most 2 sequences, 32 cached tokens
 * and 8 prompt tokens.
 */
export function scaledConfig(c: Config): Config {
  const sh = shapeOf(c);
  const heads = 8;
  const group = Math.max(1, Math.min(heads, sh.heads / sh.kvHeads));
  const hidden = 64;
  const ffn = Math.max(8, Math.round((hidden * sh.ffn) / sh.hidden / 8) * 8);
  return {
    ...c,
    model: 'custom',
    hidden,
    layers: sh.layers,
    heads,
    kvHeads: heads / group,
    ffn,
    vocab: 256,
    batch: Math.min(c.batch, 2),
    context: Math.min(c.context, 32),
    prompt: Math.min(c.prompt, 8),
    wafers: c.wafers === null ? null : Math.min(c.wafers, 2),
  };
}
