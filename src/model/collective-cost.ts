// Closed forms of every collective on any topology, from the cost of a message between two members: the
// latency L it pays and the bandwidth B it gets, and the port it occupies (messages from one unit through one
// port go one after another; a transfer holds its port for bytes/B and arrives L later, LogGP). The replay of
// the lowered point-to-point program with the same message costs gives the same times (test/unit/closed-forms).

import { kAlgorithms, partsOf } from '../collectives/index.ts';
import type { CollectiveOp } from '../engine/program.ts';

/** One message's cost: L in µs, B in GB/s (= 1000 bytes/µs), and the port class it goes through. */
export interface Hop {
  L: number;
  B: number;
  /** Messages of one unit that share a class share a port. */
  cls: string;
}

export type PairCost = (from: number, to: number) => Hop;

export interface CollectiveTime {
  us: number;
  /** The bytes one member sends (the largest over members). */
  bytesPerRank: number;
}

const occ = (bytes: number, h: Hop): number => bytes / (h.B * 1e3);

/**
 * A ring of costs o_e + L_e: every member sends at each step once its predecessor's message of the step before has
 * arrived and its own port is free; in the first `buffered` steps (a reduce-scatter into two receive slots) also
 * once its own message of two steps before has arrived. Exact (the max-plus recursion) up to 256 members; beyond,
 * its asymptote, which the transient does not move by more than one turn of the ring.
 */
function ringUs(o: number[], L: number[], steps: number, buffered = 0): number {
  const p = o.length;
  if (steps <= 0 || p < 2) return 0;
  const uniform = o.every((x) => x === o[0]) && L.every((x) => x === L[0]);
  if (uniform) return steps * (o[0]! + L[0]!);
  if (p > 256) {
    let sum = 0;
    let maxO = 0;
    let maxHalf = 0;
    for (let i = 0; i < p; i++) {
      sum += o[i]! + L[i]!;
      maxO = Math.max(maxO, o[i]!);
      maxHalf = Math.max(maxHalf, (o[i]! + L[i]!) / 2);
    }
    return steps * Math.max(sum / p, maxO, buffered ? maxHalf : 0);
  }
  let before = new Float64Array(p);
  let t = new Float64Array(p);
  for (let s = 1; s < steps; s++) {
    const next = new Float64Array(p);
    for (let r = 0; r < p; r++) {
      const prev = (r - 1 + p) % p;
      next[r] = Math.max(t[prev]! + o[prev]! + L[prev]!, t[r]! + o[r]!);
      if (s >= 2 && s < buffered) next[r] = Math.max(next[r]!, before[r]! + o[r]! + L[r]!);
    }
    before = t;
    t = next;
  }
  let end = 0;
  for (let r = 0; r < p; r++) end = Math.max(end, t[r]! + o[r]! + L[r]!);
  return end;
}

/** One step in which each member sends several messages at once (`hops[i]`: message i's cost): per member, per port class, they queue. */
function burstUs(msgs: { from: number; bytes: number }[], hops: Hop[]): number {
  const per = new Map<string, { occ: number; L: number }>();
  msgs.forEach((m, i) => {
    const h = hops[i]!;
    const k = `${m.from}|${h.cls}`;
    const e = per.get(k) ?? { occ: 0, L: 0 };
    e.occ += occ(m.bytes, h);
    e.L = Math.max(e.L, h.L);
    per.set(k, e);
  });
  let out = 0;
  for (const e of per.values()) out = Math.max(out, e.occ + e.L);
  return out;
}

/** The time of one logical collective (without the per-collective base latency), and the bytes per member. */
export function collectiveUs(c: CollectiveOp, elemBytes: number, pair: PairCost, broadcast: 'ring' | 'multicast'): CollectiveTime {
  const g = c.group;
  const p = g.length;
  if (p < 2 || c.count === 0) return { us: 0, bytesPerRank: 0 };
  const bytes = c.count * elemBytes;
  if (c.op === 'broadcast') {
    const others = g.filter((u) => u !== c.root);
    if (broadcast === 'multicast') {
      // One multicast: the root's port streams the data once; the farthest receiver sees it last.
      const hops = others.map((u) => pair(c.root!, u));
      const B = Math.min(...hops.map((h) => h.B));
      return { us: Math.max(...hops.map((h) => h.L)) + bytes / (B * 1e3), bytesPerRank: bytes };
    }
    // NCCL's ring broadcast: pipelined along the chain root → next → …; every hop adds its latency once.
    const chain = [c.root!, ...others];
    const hops = chain.slice(1).map((u, i) => pair(chain[i]!, u));
    const B = Math.min(...hops.map((h) => h.B));
    return { us: hops.reduce((s, h) => s + h.L, 0) + bytes / (B * 1e3), bytesPerRank: bytes };
  }
  const parts = partsOf(c);
  const steps = kAlgorithms[c.algorithm].steps(p, parts);
  const halves = c.op === 'allreduce' ? 2 : 1;
  let us = 0;
  let sent = 0;
  for (const step of steps) {
    const msgs = step.msgs.map((m) => ({ from: g[m.from]!, to: g[m.to]!, bytes: m.elems * elemBytes }));
    const hops = msgs.map((m) => pair(m.from, m.to));
    const perRank = new Map<number, number>();
    for (const m of msgs) perRank.set(m.from, (perRank.get(m.from) ?? 0) + m.bytes);
    sent += Math.max(...perRank.values()) * step.repeat;
    if (step.repeat > 1 && msgs.length === p && msgs.every((m, i) => m.from === g[i])) {
      // A ring step repeated: the members form a cycle, each waiting only for its predecessor.
      us += ringUs(
        hops.map((h, i) => occ(msgs[i]!.bytes, h)),
        hops.map((h) => h.L),
        step.repeat * halves,
        c.op === 'allgather' ? 0 : step.repeat,
      );
    } else {
      us += burstUs(msgs, hops) * step.repeat * halves;
    }
  }
  return { us, bytesPerRank: sent * halves };
}

/** The key a target caches a collective's cost under: everything its cost depends on. */
const collectiveKey = (c: CollectiveOp): string =>
  `${c.op}|${c.algorithm}|${c.count}|${c.root ?? ''}|${c.group.join(',')}|${c.parts?.map((x) => x.count).join(',') ?? ''}`;

/** The cost of `c` from a target's `cache`, priced by `price` the first time it is asked for. */
export function cachedCost<T>(cache: Map<string, T>, c: CollectiveOp, price: (c: CollectiveOp) => T): T {
  const key = collectiveKey(c);
  let out = cache.get(key);
  if (out === undefined) cache.set(key, (out = price(c)));
  return out;
}
