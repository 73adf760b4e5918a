// What a workload is: one record per workload (its own file), listed in ./index.ts. The runner, the projection,
// the page and the CLI read these records; none of them asks which workload it is.

import type { Config } from '../config/params.ts';
import type { Inputs } from '../engine/inputs.ts';
import type { Reference } from '../engine/verify.ts';
import type { Layout, Plan } from './plan.ts';

export interface WorkloadSpec {
  name: string;
  /** A human name. */
  label: string;
  /** `step`: one model-parallel step, timed over iterations. `sweep`: an nccl-tests style sweep of message sizes. */
  kind: 'step' | 'sweep';
  /** The parameters it reads beyond the common ones (the page shows their controls). */
  params: (keyof Config)[];
  /** Why this configuration cannot be laid out on this side, or null. */
  problem(c: Config, layout: Layout): string | null;
  /** The logical program of one step (for a sweep, of its largest message); `local`: for a verified run here. */
  plan(c: Config, layout: Layout, local?: boolean): Plan;
  /** The layout of a side when the workload decides it (the placement of a model); default: the configured one. */
  layout?(c: Config, style: Layout['style'], units?: number): Layout;
  /** The configuration a local run uses (a scaled-down instance); default: the configuration itself. */
  localConfig?(c: Config): Config;
  /** The strategy in words for tables ("ksplit", "summa", "megatron", …). */
  strategy(c: Config, layout: Layout): string;
  /** The float64 reference its outputs are checked against (steps only). */
  reference?(c: Config, plan: Plan, inputs: Inputs): Promise<Reference>;
  /** sweep=size: the configuration at problem size `size`, and the size the configuration has now. */
  atSize(c: Config, size: number): Config;
  size(c: Config): number;
  sizeLabel: string;
}
