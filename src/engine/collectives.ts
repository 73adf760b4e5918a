// All-reduce schedules as programs of sends, receives and WGSL reductions: ring, recursive halving-doubling, direct.

import type { Collective } from '../config/params.ts';
import type { Op } from './program.ts';

/** Appends ops to per-unit lists, handing out message tags. */
export class Builder {
  private nextTag = 1;
  private pending: { unit: number; op: Op }[] = [];
  constructor(readonly ops: Op[][]) {}
  tag(): number {
    return this.nextTag++;
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
  ): void {
    const tag = this.tag();
    this.push(from, { kind: 'send', to, buf: src.buf, off: src.off, count, tag, label });
    to.forEach((t, i) => this.pending.push({ unit: t, op: { kind: 'recv', from, buf: dst[i]!.buf, off: dst[i]!.off, count, tag, label } }));
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

/** Splits `count` into `parts` contiguous chunks whose sizes differ by at most one. */
export function chunks(count: number, parts: number): { off: number; count: number }[] {
  const out: { off: number; count: number }[] = [];
  for (let i = 0; i < parts; i++) {
    const lo = Math.floor((count * i) / parts);
    const hi = Math.floor((count * (i + 1)) / parts);
    out.push({ off: lo, count: hi - lo });
  }
  return out;
}

export interface AllReduceArgs {
  /** The units taking part, in ring order. */
  group: number[];
  buf: string;
  off: number;
  count: number;
  /** A per-unit scratch buffer of at least `scratchFloats(...)` elements. */
  scratch: string;
  label: string;
}

export const isPowerOfTwo = (p: number): boolean => p > 0 && (p & (p - 1)) === 0;

/** Scratch elements an all-reduce of `count` over `p` units needs (receive slots for reductions). */
export function scratchFloats(algorithm: Collective, count: number, p: number): number {
  const chunk = Math.ceil(count / p);
  switch (algorithm) {
    case 'ring':
      return 2 * chunk;
    case 'rhd':
      return Math.ceil(count / 2);
    case 'direct':
      return Math.max(1, p - 1) * chunk;
  }
}

/** Why `algorithm` cannot run on `p` units, or null. */
export function collectiveProblem(algorithm: Collective, p: number): string | null {
  if (algorithm === 'rhd' && !isPowerOfTwo(p))
    return `collective=rhd (recursive halving-doubling) needs a power-of-two number of units; got ${p}. Use ring or direct, or 1, 2, 4, 8 or 16 shards`;
  return null;
}

export function allReduce(b: Builder, algorithm: Collective, a: AllReduceArgs): void {
  const p = a.group.length;
  if (p < 2 || a.count === 0) return;
  const problem = collectiveProblem(algorithm, p);
  if (problem) throw new Error(problem);
  if (algorithm === 'ring') ring(b, a);
  else if (algorithm === 'rhd') rhd(b, a);
  else direct(b, a);
}

/** Ring: p−1 reduce-scatter steps, then p−1 all-gather steps; each rank sends 2(p−1)/p of the vector. */
function ring(b: Builder, a: AllReduceArgs): void {
  const p = a.group.length;
  const ch = chunks(a.count, p);
  const slot = Math.ceil(a.count / p);
  const at = (c: number) => ({ buf: a.buf, off: a.off + ch[c]!.off });
  for (let s = 0; s < p - 1; s++) {
    for (let r = 0; r < p; r++) {
      const c = (((r - s) % p) + p) % p;
      const to = (r + 1) % p;
      const scratch = { buf: a.scratch, off: (s % 2) * slot };
      b.message(a.group[r]!, [a.group[to]!], at(c), [scratch], ch[c]!.count, `${a.label} reduce-scatter ${s + 1}/${p - 1}`);
    }
    b.flush();
    for (let r = 0; r < p; r++) {
      const c = (((r - s - 1) % p) + p) % p;
      const dst = at(c);
      b.push(a.group[r]!, {
        kind: 'add',
        dst: dst.buf,
        offDst: dst.off,
        src: a.scratch,
        offSrc: (s % 2) * slot,
        count: ch[c]!.count,
        label: `${a.label} reduce ${s + 1}/${p - 1}`,
      });
    }
  }
  for (let s = 0; s < p - 1; s++) {
    for (let r = 0; r < p; r++) {
      const c = (((r + 1 - s) % p) + p) % p;
      const to = (r + 1) % p;
      b.message(a.group[r]!, [a.group[to]!], at(c), [at(c)], ch[c]!.count, `${a.label} all-gather ${s + 1}/${p - 1}`);
    }
    b.flush();
  }
}

/** Recursive halving (reduce-scatter) then recursive doubling (all-gather); p a power of two; 2·lg p messages. */
function rhd(b: Builder, a: AllReduceArgs): void {
  const p = a.group.length;
  const lo = new Array<number>(p).fill(0);
  const hi = new Array<number>(p).fill(a.count);
  const steps: number[] = [];
  for (let d = p >> 1; d >= 1; d >>= 1) steps.push(d);
  for (const d of steps) {
    const keep: { lo: number; hi: number }[] = [];
    for (let r = 0; r < p; r++) {
      const mid = Math.floor((lo[r]! + hi[r]!) / 2);
      const lower = (r & d) === 0;
      keep.push(lower ? { lo: lo[r]!, hi: mid } : { lo: mid, hi: hi[r]! });
      const give = lower ? { lo: mid, hi: hi[r]! } : { lo: lo[r]!, hi: mid };
      b.message(
        a.group[r]!,
        [a.group[r ^ d]!],
        { buf: a.buf, off: a.off + give.lo },
        [{ buf: a.scratch, off: 0 }],
        give.hi - give.lo,
        `${a.label} halving d=${d}`,
      );
    }
    b.flush();
    for (let r = 0; r < p; r++) {
      const k = keep[r]!;
      b.push(a.group[r]!, {
        kind: 'add',
        dst: a.buf,
        offDst: a.off + k.lo,
        src: a.scratch,
        offSrc: 0,
        count: k.hi - k.lo,
        label: `${a.label} reduce d=${d}`,
      });
      lo[r] = k.lo;
      hi[r] = k.hi;
    }
  }
  for (const d of [...steps].reverse()) {
    const have = lo.map((l, r) => ({ lo: l, hi: hi[r]! }));
    for (let r = 0; r < p; r++) {
      const mine = have[r]!;
      const partner = r ^ d;
      b.message(
        a.group[r]!,
        [a.group[partner]!],
        { buf: a.buf, off: a.off + mine.lo },
        [{ buf: a.buf, off: a.off + mine.lo }],
        mine.hi - mine.lo,
        `${a.label} doubling d=${d}`,
      );
      lo[partner] = Math.min(lo[partner]!, mine.lo);
      hi[partner] = Math.max(hi[partner]!, mine.hi);
    }
    b.flush();
  }
}

/** Direct: every rank sends slice j to rank j, reduces the p−1 slices it gets, then sends its slice to everyone. */
function direct(b: Builder, a: AllReduceArgs): void {
  const p = a.group.length;
  const ch = chunks(a.count, p);
  const slot = Math.ceil(a.count / p);
  for (let r = 0; r < p; r++) {
    for (let q = 1; q < p; q++) {
      const to = (r + q) % p;
      // Rank `to` keeps the slice from rank r in slot (r - to - 1) mod p, so every sender has its own slot.
      const s = (((r - to - 1) % p) + p) % p;
      b.message(
        a.group[r]!,
        [a.group[to]!],
        { buf: a.buf, off: a.off + ch[to]!.off },
        [{ buf: a.scratch, off: s * slot }],
        ch[to]!.count,
        `${a.label} scatter`,
      );
    }
  }
  b.flush();
  for (let r = 0; r < p; r++) {
    for (let s = 0; s < p - 1; s++) {
      b.push(a.group[r]!, {
        kind: 'add',
        dst: a.buf,
        offDst: a.off + ch[r]!.off,
        src: a.scratch,
        offSrc: s * slot,
        count: ch[r]!.count,
        label: `${a.label} reduce`,
      });
    }
  }
  for (let r = 0; r < p; r++) {
    for (let q = 1; q < p; q++) {
      const to = (r + q) % p;
      b.message(
        a.group[r]!,
        [a.group[to]!],
        { buf: a.buf, off: a.off + ch[r]!.off },
        [{ buf: a.buf, off: a.off + ch[r]!.off }],
        ch[r]!.count,
        `${a.label} gather`,
      );
    }
  }
  b.flush();
}
