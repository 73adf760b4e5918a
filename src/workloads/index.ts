// The workloads, one record each (see ./workload.ts). A new workload is a file and a line here.

import { allreduce } from './allreduce.ts';
import { gemm } from './gemm.ts';
import { decode, prefill } from './llm/spec.ts';
import { mlp } from './mlp.ts';
import type { WorkloadSpec } from './workload.ts';

export const kWorkloadSpecs = Object.freeze({ gemm, mlp, allreduce, decode, prefill } satisfies Record<string, WorkloadSpec>);
export type WorkloadName = keyof typeof kWorkloadSpecs;
export const kWorkloadNames = Object.freeze(Object.keys(kWorkloadSpecs) as WorkloadName[]);

export type { WorkloadSpec } from './workload.ts';
export { layoutOf, type Layout, type Plan, type Placement, type Style } from './plan.ts';
