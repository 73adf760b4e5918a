// Ring: p−1 reduce-scatter steps, then p−1 all-gather steps; each rank sends (p−1)/p of the vector in each half.

import type { Algorithm } from './algorithm.ts';
import type { Builder, CollectiveArgs } from './builder.ts';

const mod = (a: number, p: number): number => ((a % p) + p) % p;

function reduceScatter(b: Builder, a: CollectiveArgs): void {
  const p = a.group.length;
  const slot = Math.max(...a.parts.map((x) => x.count));
  const at = (c: number) => ({ buf: a.buf, off: a.off + a.parts[c]!.off });
  // Step s: rank r sends part (r − s − 1) to r + 1, which adds it in; after p − 1 steps rank r holds part r reduced.
  for (let s = 0; s < p - 1; s++) {
    for (let r = 0; r < p; r++) {
      const c = mod(r - s - 1, p);
      const scratch = { buf: a.scratch, off: (s % 2) * slot };
      b.message(
        a.group[r]!,
        [a.group[mod(r + 1, p)]!],
        at(c),
        [scratch],
        a.parts[c]!.count,
        `${a.label} reduce-scatter ${s + 1}/${p - 1}`,
        a.id,
      );
    }
    b.flush();
    for (let r = 0; r < p; r++) {
      const c = mod(r - s - 2, p);
      b.push(a.group[r]!, {
        kind: 'add',
        dst: a.buf,
        offDst: at(c).off,
        src: a.scratch,
        offSrc: (s % 2) * slot,
        count: a.parts[c]!.count,
        label: `${a.label} reduce ${s + 1}/${p - 1}`,
        coll: a.id,
      });
    }
  }
}

function allGather(b: Builder, a: CollectiveArgs): void {
  const p = a.group.length;
  const at = (c: number) => ({ buf: a.buf, off: a.off + a.parts[c]!.off });
  // Step s: rank r forwards part (r − s) to r + 1; at s = 0 that is its own part.
  for (let s = 0; s < p - 1; s++) {
    for (let r = 0; r < p; r++) {
      const c = mod(r - s, p);
      b.message(a.group[r]!, [a.group[mod(r + 1, p)]!], at(c), [at(c)], a.parts[c]!.count, `${a.label} all-gather ${s + 1}/${p - 1}`, a.id);
    }
    b.flush();
  }
}

export const ring: Algorithm = {
  name: 'ring',
  label: 'ring',
  problem: () => null,
  // Two receive slots of the largest part, used alternately: step s receives into slot s mod 2, so a message of
  // step s + 1 never overwrites the part step s has yet to add.
  scratch: (parts) => 2 * Math.max(...parts.map((x) => x.count)),
  reduceScatter,
  allGather,
  // One step repeated p − 1 times stands for all of them, whose parts rotate from rank to rank: every message is
  // priced at the largest part, exact for even parts and an upper bound for uneven ones.
  steps(p, parts) {
    const big = Math.max(...parts.map((x) => x.count));
    return [{ repeat: p - 1, msgs: Array.from({ length: p }, (_, r) => ({ from: r, to: (r + 1) % p, elems: big })) }];
  },
};
