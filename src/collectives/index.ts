// The collectives: all-reduce algorithms in one table (a new one is a file and a line here), the logical
// collective kinds with their bus-bandwidth factors, and the lowering of a logical collective to the
// point-to-point messages and reductions the workers run.

import type { Algorithm } from './algorithm.ts';
import { Builder, chunks, type CollectiveArgs, type Part } from './builder.ts';
import { direct } from './direct.ts';
import { nvls } from './nvls.ts';
import { rhd } from './rhd.ts';
import { ring } from './ring.ts';
import type { CollectiveOp } from '../engine/program.ts';

export { Builder, chunks, type Part } from './builder.ts';
export type { Algorithm, Step } from './algorithm.ts';

export const kAlgorithms = Object.freeze({ ring, rhd, direct, nvls } satisfies Record<string, Algorithm>);
export type AlgorithmName = keyof typeof kAlgorithms;
export const kAlgorithmNames = Object.freeze(Object.keys(kAlgorithms) as AlgorithmName[]);

export const kCollectiveKinds = Object.freeze(['allreduce', 'reducescatter', 'allgather', 'broadcast'] as const);
export type CollectiveKind = (typeof kCollectiveKinds)[number];

/**
 * nccl-tests' bus-bandwidth factor, busbw = algbw × factor with algbw = S / time and S the message (the full vector):
 * the bytes each rank must send over its link per byte of S at the bandwidth lower bound, so that busbw is comparable
 * across rank counts — 2(p−1)/p for an all-reduce, (p−1)/p for a reduce-scatter or an all-gather, and 1 for a
 * broadcast, as nccl-tests has it (the root sends S once); 0 on a single rank.
 */
export const kBusFactor: Readonly<Record<CollectiveKind, (p: number) => number>> = Object.freeze({
  allreduce: (p: number) => (p > 1 ? (2 * (p - 1)) / p : 0),
  reducescatter: (p: number) => (p > 1 ? (p - 1) / p : 0),
  allgather: (p: number) => (p > 1 ? (p - 1) / p : 0),
  broadcast: () => 1,
});

/** Why `algorithm` cannot run on p units, or null. */
export const collectiveProblem = (algorithm: AlgorithmName, p: number): string | null => kAlgorithms[algorithm].problem(p);

/** The parts of a collective's vector: its own, or even chunks. */
export const partsOf = (c: Pick<CollectiveOp, 'count' | 'group' | 'parts'>): Part[] => c.parts ?? chunks(c.count, c.group.length);

/** Scratch elements per unit for a reducing collective (at least 1, so a buffer can be made). */
export const scratchFloats = (algorithm: AlgorithmName, c: Pick<CollectiveOp, 'count' | 'group' | 'parts'>): number =>
  Math.max(1, c.group.length > 1 ? kAlgorithms[algorithm].scratch(partsOf(c)) : 0);

/**
 * Lowers one logical collective to sends, receives and reductions, appended to each member's list. Broadcasts are
 * one multicast send on a fabric that replicates (the wafer), or a send per receiver where it does not.
 */
export function lowerCollective(b: Builder, c: CollectiveOp, multicast: boolean): void {
  const p = c.group.length;
  if (p < 2 || c.count === 0) return;
  if (c.op === 'broadcast') {
    const others = c.group.filter((u) => u !== c.root);
    const dst = { buf: c.buf, off: c.off };
    if (multicast)
      b.message(
        c.root!,
        others,
        c.src!,
        others.map(() => dst),
        c.count,
        c.label,
        c.id,
      );
    else for (const u of others) b.message(c.root!, [u], c.src!, [dst], c.count, c.label, c.id);
    b.flush();
    return;
  }
  const algorithm = kAlgorithms[c.algorithm];
  const problem = algorithm.problem(p);
  if (problem) throw new Error(problem);
  const args: CollectiveArgs = {
    group: c.group,
    buf: c.buf,
    off: c.off,
    count: c.count,
    parts: partsOf(c),
    scratch: c.scratch ?? 'scratch',
    label: c.label,
    id: c.id,
  };
  if (c.op !== 'allgather') algorithm.reduceScatter(b, args);
  if (c.op !== 'reducescatter') algorithm.allGather(b, args);
}
