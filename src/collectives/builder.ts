// Builds point-to-point schedules: per-unit op lists with message tags, receives posted after a phase's sends.

import type { Op } from '../engine/program.ts';

/** A contiguous run of elements. */
export interface Part {
  off: number;
  count: number;
}

/** Splits `count` into `parts` contiguous chunks whose sizes differ by at most one. */
export function chunks(count: number, parts: number): Part[] {
  const out: Part[] = [];
  for (let i = 0; i < parts; i++) {
    const lo = Math.floor((count * i) / parts);
    const hi = Math.floor((count * (i + 1)) / parts);
    out.push({ off: lo, count: hi - lo });
  }
  return out;
}

/** What a collective's lowering knows: who takes part, the vector on each, and its parts. */
export interface CollectiveArgs {
  /** The units taking part, in ring order; position i owns part i after a reduce-scatter (and before an all-gather). */
  group: number[];
  buf: string;
  off: number;
  count: number;
  /** Part i of the vector (relative to `off`); contiguous, in order, covering [0, count). */
  parts: Part[];
  /** A per-unit scratch buffer of at least the algorithm's `scratch(...)` elements. */
  scratch: string;
  label: string;
  /** The logical collective this lowering belongs to (carried by every op it makes). */
  id: number;
}

/** Appends ops to per-unit lists, handing out message tags. */
export class Builder {
  private pending: { unit: number; op: Op }[] = [];
  constructor(
    readonly ops: Op[][],
    private readonly tags: { next: number } = { next: 1 },
  ) {}
  tag(): number {
    return this.tags.next++;
  }
  push(unit: number, op: Op): void {
    this.ops[unit]!.push(op);
  }
  /** A point-to-point message from `from` to each of `to` (one send op; a multicast when `to` has several). */
  message(
    from: number,
    to: number[],
    src: { buf: string; off: number },
    dst: { buf: string; off: number }[],
    count: number,
    label: string,
    coll?: number,
  ): void {
    const tag = this.tag();
    this.push(from, { kind: 'send', to, buf: src.buf, off: src.off, count, tag, label, coll });
    to.forEach((t, i) =>
      this.pending.push({ unit: t, op: { kind: 'recv', from, buf: dst[i]!.buf, off: dst[i]!.off, count, tag, label, coll } }),
    );
  }
  /**
   * Appends the receives of the messages made since the last flush. Every unit posts all its sends of a phase
   * before its receives, so no unit waits on a neighbour that is itself still waiting to send.
   */
  flush(): void {
    for (const { unit, op } of this.pending) this.push(unit, op);
    this.pending = [];
  }
}
