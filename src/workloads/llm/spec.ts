// The decode and prefill workloads: one step of a decoder-only transformer (see ./plan.ts), laid out as the model
// needs (the cluster's tensor × pipeline split, the fewest wafers that hold it), with a scaled-down instance of the
// same structure for the local, verified run.

import { kMaxWafers, type Config, type Grid } from '../../config/params.ts';
import { kElemBytes } from '../../model/hardware/gpus.ts';
import { fabricFor, memoryBytes } from '../../model/project.ts';
import { tileMemoryBytes } from '../../model/wafer.ts';
import { layoutOf, type Layout } from '../plan.ts';
import type { WorkloadSpec } from '../workload.ts';
import { llmReference } from './reference.ts';
import { clusterLlmPlan, modelBytes, waferLlmPlan } from './plan.ts';
import { scaledConfig, shapeOf, splitOf, splitProblem, waferMesh } from './shape.ts';

/** Bytes one tile of `mesh` holds, for the configured fabric. */
const tileBytes = (c: Config, mesh: Grid): number => tileMemoryBytes(fabricFor(c), mesh);

/**
 * The wafer layout for `wafers` systems: each cut into one tile per item (unless `tiles` says otherwise), with the
 * embedding table and the LM head split over as many tiles as it takes for a part to fit one.
 */
function waferLayout(c: Config, wafers: number): Layout {
  const sh = shapeOf(c);
  const vocabBytes = sh.vocab * sh.hidden * kElemBytes[c.precision];
  let slices = 1;
  let mesh = c.tiles ?? waferMesh(Math.ceil((sh.layers + 2) / wafers));
  for (let i = 0; i < 4; i++) {
    // A part of the table leaves a tenth of its tile for the activations and the norm.
    slices = Math.max(1, Math.ceil(vocabBytes / (0.9 * tileBytes(c, mesh))));
    mesh = c.tiles ?? waferMesh(Math.ceil((sh.layers + 2 * slices) / wafers));
  }
  return { ...layoutOf(c, 'wafer'), mesh, units: wafers * mesh.rows * mesh.cols, wafers, vocabSlices: slices };
}

const fewest = new Map<string, number>();

/** The fewest wafer systems whose tiles hold their part of the model (the most allowed when none does). */
export function fewestWafers(c: Config): number {
  const key = JSON.stringify([
    c.workload,
    c.model,
    c.hidden,
    c.layers,
    c.heads,
    c.kvHeads,
    c.ffn,
    c.vocab,
    c.batch,
    c.context,
    c.prompt,
    c.precision,
    c.fabric,
    c.tiles,
  ]);
  const hit = fewest.get(key);
  if (hit !== undefined) return hit;
  const eb = kElemBytes[c.precision];
  // No count whose SRAM is less than the weights and cache can hold them: start there.
  const f = fabricFor(c);
  const bytes = modelBytes(c, eb);
  const least = Math.max(1, Math.ceil((bytes.weights + bytes.kv) / tileMemoryBytes(f, { rows: 1, cols: 1 })));
  let out = kMaxWafers;
  for (let w = Math.min(least, kMaxWafers); w <= kMaxWafers; w++) {
    const layout = waferLayout(c, w);
    if (memoryBytes(waferLlmPlan(c, layout), eb) <= tileBytes(c, layout.mesh)) {
      out = w;
      break;
    }
  }
  if (fewest.size > 256) fewest.clear();
  fewest.set(key, out);
  return out;
}

function llmSpec(kind: 'decode' | 'prefill'): WorkloadSpec {
  return {
    name: kind,
    label: kind === 'decode' ? 'LLM decode (one token)' : 'LLM prefill (the prompt)',
    kind: 'step',
    params: ['model', 'batch', 'context', 'prompt', 'tp', 'pp', 'wafers', 'hidden', 'layers', 'heads', 'kvHeads', 'ffn', 'vocab'],
    layout(c, style, units) {
      if (style === 'wafer') return waferLayout(c, c.wafers ?? fewestWafers(c));
      return layoutOf(c, 'cluster', units);
    },
    problem(c, layout) {
      const sh = shapeOf(c);
      if (layout.style === 'cluster') {
        const { tp, pp } = splitOf(c, layout.units, sh);
        return splitProblem(sh, tp, pp);
      }
      if (c.tiles && (layout.wafers ?? 1) * c.tiles.rows * c.tiles.cols < 2) return 'the wafer needs at least 2 tiles for a model';
      return null;
    },
    // A local run keeps every layer's output for verification; a projection updates the residual stream in place.
    plan: (c, layout, local = false) => (layout.style === 'wafer' ? waferLlmPlan(c, layout, local) : clusterLlmPlan(c, layout, local)),
    strategy(c, layout) {
      if (layout.style === 'wafer') return `pipeline over tiles${(layout.wafers ?? 1) > 1 ? `, ${layout.wafers} wafers` : ''}`;
      const { tp, pp } = splitOf(c, layout.units, shapeOf(c));
      return `tp${tp}×pp${pp}`;
    },
    localConfig: scaledConfig,
    reference: (c, plan, inputs) => llmReference(c, plan, inputs),
    atSize: (c, size) => ({ ...c, batch: size }),
    size: (c) => c.batch,
    sizeLabel: 'sequences in the batch',
  };
}

export const decode = llmSpec('decode');
export const prefill = llmSpec('prefill');
