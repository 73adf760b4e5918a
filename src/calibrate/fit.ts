// Fits the custom link's model t(S) = base + steps(p)·alpha + factor(p)·S/B to measured collective times: least
// squares on the relative error, which is linear in (base, alpha, 1/B), so no nonlinear solver; latencies kept
// non-negative by refitting without a term that goes negative. Units: t in µs, S in bytes, B in GB/s per direction.

import { kBusFactor, type CollectiveKind } from '../collectives/index.ts';
import type { Collective } from './parse.ts';

/** 1 MiB: the size from which a fit is judged (NCCL's bandwidth regime starts around here). */
export const kMiB = 2 ** 20;
/** A fit over all sizes is kept when it is this close (relative) to every measured time at ≥ 1 MiB. */
const kTolerance = 0.2;

/** The nccl-tests collectives the model can fit: all but reduce. */
export type FitCollective = Exclude<Collective, 'reduce'>;

export const isFit = (c: Collective | null): c is FitCollective => c !== null && c !== 'reduce';

/** The model's collective for each nccl-tests one. */
export const kKind: Readonly<Record<FitCollective, CollectiveKind>> = Object.freeze({
  all_reduce: 'allreduce',
  all_gather: 'allgather',
  reduce_scatter: 'reducescatter',
  broadcast: 'broadcast',
});

/**
 * The ring's steps (each pays alpha once) and the bytes each rank sends per byte of S (nccl-tests' bus factor, so
 * B comes out as the busbw the link sustains). S is nccl-tests' size: the whole vector for all-reduce, the
 * gathered output for all-gather, the scattered input for reduce-scatter, the message for broadcast (a chain).
 */
export function shapeOf(c: FitCollective, p: number): { steps: number; factor: number } {
  return { steps: c === 'all_reduce' ? 2 * (p - 1) : p - 1, factor: kBusFactor[kKind[c]](p) };
}

/** The custom link: base µs once per collective (launch included), alpha µs per step, gbps GB/s per GPU per direction. */
export interface Link {
  baseUs: number;
  alphaUs: number;
  gbps: number;
}

/** The model's time for one collective of `bytes` on p ranks, µs (1 GB/s = 1000 bytes/µs). */
export function formulaUs(l: Link, c: FitCollective, p: number, bytes: number): number {
  const s = shapeOf(c, p);
  return l.baseUs + s.steps * l.alphaUs + (s.factor * bytes) / (l.gbps * 1e3);
}

export interface Point {
  bytes: number;
  us: number;
}

/** Times of one collective on one rank count. */
export interface Group {
  collective: FitCollective;
  ranks: number;
  points: Point[];
}

export interface LinkFit extends Link {
  /**
   * base and alpha told apart: the groups differ in step count (collective or ranks). Otherwise base is the whole
   * latency, base + steps·alpha, and alpha is 0.
   */
  separable: boolean;
  /** Latency terms left out because with them the best fit had them negative. */
  dropped: ('base' | 'alpha')[];
}

/** Data no link can be fitted to; the message says why. */
export class FitError extends Error {}

/**
 * min ‖A·x − b‖² by Householder QR, columns scaled to unit norm first (1 and S differ by ten orders of magnitude).
 * null when A has dependent columns.
 */
export function lstsq(A: number[][], b: number[]): number[] | null {
  const m = A.length;
  const n = A[0]?.length ?? 0;
  if (m < n || n === 0) return null;
  const scale = Array.from({ length: n }, (_, j) => Math.hypot(...A.map((r) => r[j]!)) || 1);
  const R = A.map((r) => r.map((v, j) => v / scale[j]!));
  const y = [...b];
  for (let k = 0; k < n; k++) {
    const norm = Math.hypot(...R.slice(k).map((r) => r[k]!));
    if (norm < 1e-12) return null;
    const alpha = R[k]![k]! > 0 ? -norm : norm;
    const v = R.slice(k).map((r) => r[k]!);
    v[0]! -= alpha;
    const vv = v.reduce((s, x) => s + x * x, 0);
    if (vv === 0) continue;
    for (let j = k; j < n; j++) {
      const d = v.reduce((s, x, i) => s + x * R[k + i]![j]!, 0);
      for (let i = 0; i < v.length; i++) R[k + i]![j]! -= (2 * d * v[i]!) / vv;
    }
    const d = v.reduce((s, x, i) => s + x * y[k + i]!, 0);
    for (let i = 0; i < v.length; i++) y[k + i]! -= (2 * d * v[i]!) / vv;
  }
  const x = new Array<number>(n).fill(0);
  for (let k = n - 1; k >= 0; k--) {
    let s = y[k]!;
    for (let j = k + 1; j < n; j++) s -= R[k]![j]! * x[j]!;
    if (Math.abs(R[k]![k]!) < 1e-12) return null;
    x[k] = s / R[k]![k]!;
  }
  return x.map((v, j) => v / scale[j]!);
}

type Term = 'base' | 'alpha' | 'slope';

/** Subsets of the latency terms, largest first. */
const subsets = (terms: ('base' | 'alpha')[]): ('base' | 'alpha')[][] =>
  terms.length === 2 ? [['base', 'alpha'], ['base'], ['alpha'], []] : [['base'], []];

/**
 * The link that minimises Σ((model − measured)/measured)² over every point with size > 0 of every group. Throws
 * FitError when the points cannot determine a link (one size, one rank, times that do not grow with size).
 */
export function fitLink(groups: Group[]): LinkFit {
  const rows: { x: Record<Term, number>; t: number }[] = [];
  const steps = new Set<number>();
  const sizes = new Set<number>();
  for (const g of groups) {
    if (!Number.isInteger(g.ranks) || g.ranks < 2) throw new FitError(`${g.ranks} rank(s): a collective needs at least 2`);
    const s = shapeOf(g.collective, g.ranks);
    for (const p of g.points) {
      if (!(p.bytes > 0 && p.us > 0 && Number.isFinite(p.bytes) && Number.isFinite(p.us))) continue;
      rows.push({ x: { base: 1, alpha: s.steps, slope: s.factor * p.bytes }, t: p.us });
      steps.add(s.steps);
      sizes.add(p.bytes);
    }
  }
  if (sizes.size < 2) throw new FitError(`${sizes.size} distinct size(s) above 0 bytes: a bandwidth and a latency need at least 2`);
  const separable = steps.size > 1;
  const latency: ('base' | 'alpha')[] = separable ? ['base', 'alpha'] : ['base'];
  let best: { terms: Term[]; x: number[]; obj: number } | null = null;
  let fullFeasible = false;
  for (const lat of subsets(latency)) {
    const terms: Term[] = [...lat, 'slope'];
    // Dividing each row by its measured time makes the residual the relative error: weighted least squares.
    const A = rows.map((r) => terms.map((t) => r.x[t] / r.t));
    const x = lstsq(
      A,
      rows.map(() => 1),
    );
    if (!x) continue;
    const feasible = x.every((v, i) => (terms[i] === 'slope' ? v > 0 : v >= 0));
    if (lat.length === latency.length) fullFeasible = feasible;
    if (!feasible) continue;
    const obj = A.reduce((s, a) => s + (a.reduce((u, v, i) => u + v * x[i]!, 0) - 1) ** 2, 0);
    if (!best || obj < best.obj - 1e-15) best = { terms, x, obj };
  }
  // Unreachable for real data (the bandwidth term alone always fits with a positive slope); kept as a guard.
  if (!best) throw new FitError('no link with a positive bandwidth and non-negative latencies fits these times');
  const get = (t: Term): number => {
    const i = best.terms.indexOf(t);
    return i < 0 ? 0 : best.x[i]!;
  };
  return {
    baseUs: get('base'),
    alphaUs: get('alpha'),
    // slope is µs per byte of bus traffic; 1 GB/s moves 1000 bytes per µs.
    gbps: 1 / (get('slope') * 1e3),
    separable,
    dropped: fullFeasible ? [] : latency.filter((t) => !best.terms.includes(t)),
  };
}

/** Relative errors (model − measured)/measured of a link on the groups' points with size > 0. */
function errorsOf(l: Link, groups: Group[]): { bytes: number; error: number }[] {
  return groups.flatMap((g) =>
    g.points
      .filter((p) => p.bytes > 0 && p.us > 0)
      .map((p) => ({ bytes: p.bytes, error: (formulaUs(l, g.collective, g.ranks, p.bytes) - p.us) / p.us })),
  );
}

export interface Quality {
  /** Root mean square of the relative errors. */
  rmsError: number;
  /** Largest |relative error|, and at which size. */
  maxError: number;
  worstBytes: number;
  /** Largest |relative error| at sizes ≥ 1 MiB (null: none measured there), and at which size. */
  maxErrorAbove1MiB: number | null;
  worstBytesAbove1MiB: number | null;
}

export function qualityOf(errors: { bytes: number; error: number }[]): Quality {
  let sum = 0;
  let max = 0;
  let worst = 0;
  let big: number | null = null;
  let worstBig: number | null = null;
  for (const e of errors) {
    const a = Math.abs(e.error);
    sum += a * a;
    if (a >= max) [max, worst] = [a, e.bytes];
    if (e.bytes >= kMiB && (big === null || a >= big)) [big, worstBig] = [a, e.bytes];
  }
  return {
    rmsError: errors.length ? Math.sqrt(sum / errors.length) : 0,
    maxError: max,
    worstBytes: worst,
    maxErrorAbove1MiB: big,
    worstBytesAbove1MiB: worstBig,
  };
}

export interface Calibration {
  link: LinkFit;
  /** Smallest size the link was fitted to: 0 for all sizes, kMiB when the sizes below were set aside. */
  fromBytes: number;
  /** The fit over all sizes when it was set aside: its worst error at ≥ 1 MiB and where. */
  oneLine: { maxErrorAbove1MiB: number; worstBytes: number } | null;
  /** The sizes below 1 MiB fitted on their own (when set aside): the latency and bandwidth they follow. */
  small: LinkFit | null;
}

const only = (groups: Group[], keep: (p: Point) => boolean): Group[] => groups.map((g) => ({ ...g, points: g.points.filter(keep) }));
const distinct = (groups: Group[]): number => new Set(groups.flatMap((g) => g.points.filter((p) => p.bytes > 0).map((p) => p.bytes))).size;

/**
 * One link for the groups. First one line through all sizes; if it is more than kTolerance off anywhere at ≥ 1 MiB
 * (NCCL changes protocol — LL, LL128, Simple — and algorithm with size, so small and large messages follow
 * different lines), the link is fitted to the sizes ≥ 1 MiB alone, where training's collectives live, and the
 * sizes below are fitted on their own and reported beside it: the model takes one link per query, so only the
 * large-size line can be printed as one.
 */
export function calibrateLink(groups: Group[]): Calibration {
  const all = fitLink(groups);
  const q = qualityOf(errorsOf(all, groups));
  const large = only(groups, (p) => p.bytes >= kMiB);
  if (q.maxErrorAbove1MiB === null || q.maxErrorAbove1MiB <= kTolerance || distinct(large) < 2)
    return { link: all, fromBytes: 0, oneLine: null, small: null };
  const big = fitLink(large);
  const qb = qualityOf(errorsOf(big, large));
  if (qb.maxErrorAbove1MiB! >= q.maxErrorAbove1MiB) return { link: all, fromBytes: 0, oneLine: null, small: null };
  const smallGroups = only(groups, (p) => p.bytes < kMiB);
  let small: LinkFit | null = null;
  if (distinct(smallGroups) >= 2) {
    try {
      small = fitLink(smallGroups);
    } catch {
      small = null;
    }
  }
  return {
    link: big,
    fromBytes: kMiB,
    oneLine: { maxErrorAbove1MiB: q.maxErrorAbove1MiB, worstBytes: q.worstBytesAbove1MiB! },
    small,
  };
}
