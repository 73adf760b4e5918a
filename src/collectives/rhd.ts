// Recursive halving (reduce-scatter) then recursive doubling (all-gather), Rabenseifner's algorithm; p a power of
// two; lg p steps each way, halving the range exchanged at every step. Ranges are cut at part boundaries, so rank r
// ends the halving holding part r.

import type { Algorithm } from './algorithm.ts';
import type { Builder, CollectiveArgs } from './builder.ts';

const isPowerOfTwo = (p: number): boolean => p > 0 && (p & (p - 1)) === 0;

/** The element range of the parts of ranks [lo, hi). */
function span(a: CollectiveArgs, lo: number, hi: number): { lo: number; hi: number } {
  const first = a.parts[lo]!;
  const last = a.parts[hi - 1]!;
  return { lo: first.off, hi: last.off + last.count };
}

/** The ranks whose parts rank r holds before the step with distance d (halving: d = p/2 … 1). */
const block = (r: number, d: number): [number, number] => {
  const lo = r & ~(2 * d - 1);
  return [lo, lo + 2 * d];
};

function reduceScatter(b: Builder, a: CollectiveArgs): void {
  const p = a.group.length;
  for (let d = p >> 1; d >= 1; d >>= 1) {
    const keep: { lo: number; hi: number }[] = [];
    for (let r = 0; r < p; r++) {
      const [lo, hi] = block(r, d);
      const lower = (r & d) === 0;
      const mine = lower ? span(a, lo, lo + d) : span(a, lo + d, hi);
      const give = lower ? span(a, lo + d, hi) : span(a, lo, lo + d);
      keep.push(mine);
      b.message(
        a.group[r]!,
        [a.group[r ^ d]!],
        { buf: a.buf, off: a.off + give.lo },
        [{ buf: a.scratch, off: 0 }],
        give.hi - give.lo,
        `${a.label} halving d=${d}`,
        a.id,
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
        coll: a.id,
      });
    }
  }
}

function allGather(b: Builder, a: CollectiveArgs): void {
  const p = a.group.length;
  for (let d = 1; d < p; d <<= 1) {
    for (let r = 0; r < p; r++) {
      // Before this step rank r holds the parts of the d ranks of its aligned block.
      const lo = r & ~(d - 1);
      const mine = span(a, lo, lo + d);
      b.message(
        a.group[r]!,
        [a.group[r ^ d]!],
        { buf: a.buf, off: a.off + mine.lo },
        [{ buf: a.buf, off: a.off + mine.lo }],
        mine.hi - mine.lo,
        `${a.label} doubling d=${d}`,
        a.id,
      );
    }
    b.flush();
  }
}

export const rhd: Algorithm = {
  name: 'rhd',
  label: 'recursive halving-doubling',
  problem: (p) =>
    isPowerOfTwo(p)
      ? null
      : `collective=rhd (recursive halving-doubling) needs a power-of-two number of units; got ${p}. Use ring or direct, or a power of two`,
  // The largest message received: a half of the vector, in the first halving step (every later message lies inside
  // one of those halves). For p not a power of two rhd cannot run (see problem), but a plan sizes its buffers
  // before its collectives are checked and refused: the largest part then keeps that sizing finite.
  scratch: (parts) => {
    const p = parts.length;
    if (!isPowerOfTwo(p)) return Math.max(...parts.map((x) => x.count));
    if (p < 2) return 0;
    const sum = (xs: typeof parts) => xs.reduce((s, x) => s + x.count, 0);
    return Math.max(sum(parts.slice(0, p / 2)), sum(parts.slice(p / 2)));
  },
  reduceScatter,
  allGather,
  steps(p, parts) {
    const out = [];
    for (let d = p >> 1; d >= 1; d >>= 1) {
      const msgs = Array.from({ length: p }, (_, r) => {
        const [lo, hi] = block(r, d);
        const give = (r & d) === 0 ? [lo + d, hi] : [lo, lo + d];
        let elems = 0;
        for (let i = give[0]!; i < give[1]!; i++) elems += parts[i]!.count;
        return { from: r, to: r ^ d, elems };
      });
      out.push({ repeat: 1, msgs });
    }
    return out;
  },
};
