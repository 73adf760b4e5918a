// Direct: every rank sends part j to rank j, which reduces the p−1 parts it gets (reduce-scatter); then every rank
// sends its part to everyone (all-gather). Two steps, p−1 messages per rank in each, all at once.

import type { Algorithm } from './algorithm.ts';
import type { Builder, CollectiveArgs } from './builder.ts';

function reduceScatter(b: Builder, a: CollectiveArgs): void {
  const p = a.group.length;
  const slot = Math.max(...a.parts.map((x) => x.count));
  for (let r = 0; r < p; r++) {
    for (let q = 1; q < p; q++) {
      const to = (r + q) % p;
      // Rank `to` keeps the part from rank r in slot (r − to − 1) mod p = p − 1 − q (the sender q positions behind
      // it), so every sender has its own slot.
      const s = p - 1 - q;
      b.message(
        a.group[r]!,
        [a.group[to]!],
        { buf: a.buf, off: a.off + a.parts[to]!.off },
        [{ buf: a.scratch, off: s * slot }],
        a.parts[to]!.count,
        `${a.label} scatter`,
        a.id,
      );
    }
  }
  b.flush();
  for (let r = 0; r < p; r++) {
    for (let s = 0; s < p - 1; s++) {
      b.push(a.group[r]!, {
        kind: 'add',
        dst: a.buf,
        offDst: a.off + a.parts[r]!.off,
        src: a.scratch,
        offSrc: s * slot,
        count: a.parts[r]!.count,
        label: `${a.label} reduce`,
        coll: a.id,
      });
    }
  }
}

function allGather(b: Builder, a: CollectiveArgs): void {
  const p = a.group.length;
  for (let r = 0; r < p; r++) {
    for (let q = 1; q < p; q++) {
      const at = { buf: a.buf, off: a.off + a.parts[r]!.off };
      b.message(a.group[r]!, [a.group[(r + q) % p]!], at, [at], a.parts[r]!.count, `${a.label} gather`, a.id);
    }
  }
  b.flush();
}

export const direct: Algorithm = {
  name: 'direct',
  label: 'direct (one-shot)',
  problem: () => null,
  // p − 1 receive slots of the largest part, one per sender (at least one).
  scratch: (parts) => Math.max(1, parts.length - 1) * Math.max(...parts.map((x) => x.count)),
  reduceScatter,
  allGather,
  steps(p, parts) {
    const msgs = [];
    for (let r = 0; r < p; r++) for (let q = 1; q < p; q++) msgs.push({ from: r, to: (r + q) % p, elems: parts[(r + q) % p]!.count });
    return [{ repeat: 1, msgs }];
  },
};
