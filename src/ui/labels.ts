// What people read on the page: a human label for every option (the URL keeps the tokens), a visible one-line
// help for every control, and the names of the two sides. Hardware and workload names come from their records.

import { kAlgorithms } from '../collectives/index.ts';
import type { Config } from '../config/params.ts';
import { kFabricPresets } from '../model/hardware/fabrics.ts';
import { kGpuPresets } from '../model/hardware/gpus.ts';
import { kLinkPresets } from '../model/hardware/links.ts';
import { kWorkloadSpecs } from '../workloads/index.ts';
import { kModels } from '../workloads/llm/models.ts';

const fromRecords = <T extends { label: string }>(table: Record<string, T>): Record<string, string> =>
  Object.fromEntries(Object.entries(table).map(([k, v]) => [k, v.label]));

/** Human labels per parameter and value. */
const kOptionLabels: Partial<Record<keyof Config, Record<string, string>>> = {
  mode: { compare: 'Compare both', wafer: 'Wafer only', cluster: 'Cluster only' },
  workload: fromRecords(kWorkloadSpecs),
  model: { ...fromRecords(kModels), custom: 'Custom (hidden, layers, and optionally heads, KV heads, FFN, vocabulary)' },
  strategy: { ksplit: 'K split (row-parallel layer)', rows: 'Rows (B replicated)', summa: 'SUMMA on a device grid' },
  collective: fromRecords(kAlgorithms),
  transport: { auto: 'Automatic', sab: 'Shared memory', message: 'Messages' },
  link: { measured: 'As measured here', ...fromRecords(kLinkPresets), custom: 'Custom (α, GB/s, TFLOP/s)' },
  scaleout: fromRecords(kLinkPresets),
  fabric: { measured: 'As measured here', ...fromRecords(kFabricPresets), custom: 'Custom (α, GB/s, TFLOP/s)' },
  gpu: { '': 'The link’s usual GPU', ...fromRecords(kGpuPresets), custom: 'Custom (TFLOP/s)' },
  precision: { bf16: 'BF16', fp8: 'FP8', f32: 'FP32' },
  output: { sharded: 'Sharded (each part on one unit)', replicated: 'Replicated (on every unit)' },
  equal: { units: 'Same number of units', power: 'Same power', peak: 'Same dense peak' },
  sweep: { none: 'None', shards: 'Unit counts 1, 2, 4, …', size: 'Problem sizes' },
  dtype: { f32: 'FP32' },
  verify: { '1': 'Yes', '0': 'No' },
};

/** The label of a value (the token itself where none is known). */
export const optionLabel = (name: keyof Config, value: string): string => kOptionLabels[name]?.[value] ?? value;

export const kSideLabel = { wafer: 'Wafer', cluster: 'Cluster' } as const;

/** A side's run by its size, e.g. "Wafer ×16". */
export const runLabel = (mode: keyof typeof kSideLabel, units: number): string => `${kSideLabel[mode]} ×${units}`;
