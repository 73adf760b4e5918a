// What an all-reduce algorithm is: a reduce-scatter and an all-gather lowering to point-to-point messages, the
// scratch it needs, when it cannot run, and its message steps (which the cost models price).

import type { Builder, CollectiveArgs, Part } from './builder.ts';

/** One step of a reduce-scatter, taken `repeat` times: messages between group positions, all sent at once. */
export interface Step {
  repeat: number;
  /** `elems`: the elements of that message; an upper bound where the algorithm says so (ring's largest part). */
  msgs: { from: number; to: number; elems: number }[];
}

export interface Algorithm {
  name: string;
  label: string;
  /** Why the algorithm cannot run on p units, or null. */
  problem(p: number): string | null;
  /** Scratch elements per unit for a vector cut into `parts` (receive slots for reductions). */
  scratch(parts: Part[]): number;
  /** Leaves position i of the group holding part i, reduced over the group. */
  reduceScatter(b: Builder, a: CollectiveArgs): void;
  /** Position i holds part i; afterwards every position holds every part. */
  allGather(b: Builder, a: CollectiveArgs): void;
  /** The reduce-scatter's message steps; the all-gather sends the same messages in reverse order. */
  steps(p: number, parts: Part[]): Step[];
}
