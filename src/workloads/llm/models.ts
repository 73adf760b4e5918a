// Decoder-only transformer shapes (Llama 3 / 3.1), each from its published configuration. One record per model; the
// `model` parameter lists these names (and `custom`, whose shape comes from the parameters).

export interface ModelShape {
  name: string;
  label: string;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  /** SwiGLU intermediate size. */
  ffn: number;
  vocab: number;
  source: string;
}

const kSku =
  'Meta llama-models, models/llama3_1/api/sku_list.py (commit 1768925a): dim, n_layers, n_heads, n_kv_heads, VOCAB_SIZE = 128256; FFN from ffn_dim_multiplier and multiple_of; Llama 3 paper ("The Llama 3 Herd of Models"), Table 3';

export const kModels = Object.freeze({
  'llama3-8b': {
    name: 'llama3-8b',
    label: 'Llama 3.1 8B',
    hidden: 4096,
    layers: 32,
    heads: 32,
    kvHeads: 8,
    ffn: 14336,
    vocab: 128256,
    source: `${kSku}: 8B dim 4096, 32 layers, 32 heads, 8 KV heads, FFN 14,336`,
  },
  'llama3-70b': {
    name: 'llama3-70b',
    label: 'Llama 3.1 70B',
    hidden: 8192,
    layers: 80,
    heads: 64,
    kvHeads: 8,
    ffn: 28672,
    vocab: 128256,
    source: `${kSku}: 70B dim 8192, 80 layers, 64 heads, 8 KV heads, FFN 28,672`,
  },
  'llama3-405b': {
    name: 'llama3-405b',
    label: 'Llama 3.1 405B',
    hidden: 16384,
    layers: 126,
    heads: 128,
    kvHeads: 8,
    ffn: 53248,
    vocab: 128256,
    source: `${kSku}: 405B dim 16384, 126 layers, 128 heads, 8 KV heads (early Hugging Face configs said 16), FFN 53,248`,
  },
} satisfies Record<string, ModelShape>);

/** Parameters of one layer and of the whole model (untied embeddings). */
export function paramsOf(s: Pick<ModelShape, 'hidden' | 'layers' | 'heads' | 'kvHeads' | 'ffn' | 'vocab'>): {
  layer: number;
  total: number;
} {
  const hd = s.hidden / s.heads;
  const layer = 2 * s.hidden * s.hidden + 2 * s.hidden * s.kvHeads * hd + 3 * s.hidden * s.ffn + 2 * s.hidden;
  return { layer, total: s.layers * layer + 2 * s.vocab * s.hidden + s.hidden };
}

/** KV-cache elements per token (keys and values of every layer). */
export const kvPerToken = (s: Pick<ModelShape, 'hidden' | 'layers' | 'heads' | 'kvHeads'>): number =>
  2 * s.layers * s.kvHeads * (s.hidden / s.heads);

/**
 * A custom model's shape where the parameters leave it open: heads of 128 (or 64, or one head when hidden is
 * neither's multiple), as many KV heads as heads, Llama's SwiGLU width (8/3 · hidden up to a multiple of 256) and
 * the Llama 3 vocabulary.
 */
export function customShape(
  hidden: number,
  given: { heads: number | null; kvHeads: number | null; ffn: number | null; vocab: number | null },
): { heads: number; kvHeads: number; ffn: number; vocab: number } {
  const heads = given.heads ?? (hidden % 128 === 0 ? hidden / 128 : hidden % 64 === 0 ? hidden / 64 : 1);
  return {
    heads,
    kvHeads: given.kvHeads ?? heads,
    ffn: given.ffn ?? Math.ceil((8 * hidden) / 3 / 256) * 256,
    vocab: given.vocab ?? 128_256,
  };
}
