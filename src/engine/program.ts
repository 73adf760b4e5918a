// Programs: what each unit (a shard, or a tile) does in one step, as a list of ops on named f32 buffer regions.
// Collectives appear as one logical op in every member's list; `lower` turns them into the point-to-point sends,
// receives and reductions the workers run. The logical program is what the target models price; the lowered one
// is what executes, is counted for bytes and is timed.

import { isComputeKind, region, specOf, type Access, type ComputeOp } from '../ops/index.ts';
import type { AlgorithmName, CollectiveKind } from '../collectives/index.ts';
import { Builder, lowerCollective, scratchFloats } from '../collectives/index.ts';

export type { MatmulOp, GeluOp, AddOp, CopyOp, ComputeOp } from '../ops/index.ts';

/** Sends a region to one unit (cluster) or multicasts it along a mesh line (wafer). */
export interface SendOp {
  kind: 'send';
  to: number[];
  buf: string;
  off: number;
  count: number;
  tag: number;
  label: string;
  /** The logical collective this message belongs to. */
  coll?: number;
}
export interface RecvOp {
  kind: 'recv';
  from: number;
  buf: string;
  off: number;
  count: number;
  tag: number;
  label: string;
  coll?: number;
}

/**
 * A collective among `group` (the same op, by `id`, in every member's list). `buf[off, off + count)` is the vector
 * on every member: reduced in place (allreduce), reduced into part i on position i (reducescatter), gathered from
 * part i of position i (allgather), or written from the root's `src` (broadcast).
 */
export interface CollectiveOp {
  kind: 'collective';
  id: number;
  op: CollectiveKind;
  algorithm: AlgorithmName;
  group: number[];
  buf: string;
  off: number;
  count: number;
  /** Parts of the vector (reducescatter, allgather); even chunks when absent. */
  parts?: { off: number; count: number }[];
  /** broadcast: the unit that holds the data, and where. */
  root?: number;
  src?: { buf: string; off: number };
  /** A per-unit scratch buffer for received partial sums. */
  scratch?: string;
  label: string;
}

export type Op = ComputeOp | SendOp | RecvOp | CollectiveOp;

export interface Program {
  units: number;
  /** Buffers of each unit: name → size in f32 elements. */
  buffers: Record<string, number>[];
  ops: Op[][];
}

export const kFloatBytes = 4;

export const isCompute = (op: Op): op is ComputeOp => isComputeKind(op.kind);

/** The shape that determines a compute op's duration: ops with equal signatures are timed once. */
export const signature = (op: ComputeOp): string => specOf(op).signature(op);

/** Bytes each unit sends in one step of a lowered program (a multicast counts once: the fabric replicates it). */
export function bytesSent(p: Program): number[] {
  return p.ops.map((ops) => ops.reduce((s, op) => s + (op.kind === 'send' ? op.count * kFloatBytes : 0), 0));
}

/** What an op reads and writes on unit `u`. */
export function accesses(op: Op, u: number): Access[] {
  switch (op.kind) {
    case 'send':
      return [region(op.buf, op.off, op.count)];
    case 'recv':
      return [region(op.buf, op.off, op.count, true)];
    case 'collective': {
      if (op.op === 'broadcast')
        return u === op.root ? [region(op.src!.buf, op.src!.off, op.count)] : [region(op.buf, op.off, op.count, true)];
      const out = [region(op.buf, op.off, op.count), region(op.buf, op.off, op.count, true)];
      if (op.scratch && op.op !== 'allgather') out.push(region(op.scratch, 0, scratchFloats(op.algorithm, op), true));
      return out;
    }
    default:
      return specOf(op).accesses(op);
  }
}

interface Live {
  lo: number;
  hi: number;
  op: number;
}

const overlaps = (a: { lo: number; hi: number }, b: { lo: number; hi: number }): boolean => a.lo < b.hi && b.lo < a.hi;
const covers = (a: { lo: number; hi: number }, b: { lo: number; hi: number }): boolean => a.lo <= b.lo && b.hi <= a.hi;

/**
 * Within one unit: op i depends on the earlier ops it has a read/write hazard with (RAW, WAR, WAW), up to
 * transitivity: a read depends on the last overlapping writes, a write also on the reads since them. Accesses a
 * later write covers are dropped (the write depends on them), so the work stays near linear in the ops.
 */
export function localDeps(ops: Op[], u: number): number[][] {
  const writes = new Map<string, Live[]>();
  const reads = new Map<string, Live[]>();
  return ops.map((op, i) => {
    const deps = new Set<number>();
    const acc = accesses(op, u);
    for (const a of acc) {
      for (const w of writes.get(a.buf) ?? []) if (overlaps(w, a)) deps.add(w.op);
      if (a.write) for (const r of reads.get(a.buf) ?? []) if (overlaps(r, a)) deps.add(r.op);
    }
    for (const a of acc) {
      const live = { lo: a.lo, hi: a.hi, op: i };
      if (a.write) {
        const kept = (writes.get(a.buf) ?? []).filter((w) => !covers(a, w));
        kept.push(live);
        writes.set(a.buf, kept);
        reads.set(
          a.buf,
          (reads.get(a.buf) ?? []).filter((r) => !covers(a, r) || r.op === i),
        );
      } else {
        (reads.get(a.buf) ?? reads.set(a.buf, []).get(a.buf)!).push(live);
      }
    }
    return [...deps].sort((x, y) => y - x);
  });
}

export function checkProgram(p: Program): void {
  p.ops.forEach((ops, u) => {
    const bufs = p.buffers[u]!;
    for (const op of ops) {
      if (op.kind === 'collective' && !op.group.includes(u)) throw new Error(`unit ${u}: ${op.label} lists unit ${u} outside its group`);
      for (const a of accesses(op, u)) {
        const size = bufs[a.buf];
        if (size === undefined) throw new Error(`unit ${u}: ${op.label} uses unknown buffer ${a.buf}`);
        if (a.lo < 0 || a.hi > size) throw new Error(`unit ${u}: ${op.label} reaches ${a.buf}[${a.lo}, ${a.hi}) past its ${size} elements`);
      }
    }
  });
}

/** Appends ops to per-unit lists; collectives get ids and go into every member's list. */
export class ProgramBuilder {
  readonly program: Program;
  private nextId = 1;
  constructor(units: number) {
    this.program = { units, buffers: Array.from({ length: units }, () => ({})), ops: Array.from({ length: units }, () => []) };
  }
  push(unit: number, op: ComputeOp): void {
    this.program.ops[unit]!.push(op);
  }
  collective(c: Omit<CollectiveOp, 'kind' | 'id'>): void {
    if (c.group.length < 2 || c.count === 0) return;
    const op: CollectiveOp = { kind: 'collective', id: this.nextId++, ...c };
    for (const u of c.group) this.program.ops[u]!.push(op);
  }
}

/**
 * The program the workers run: each collective replaced, in every member's list at its place, by its
 * point-to-point lowering (multicasts where the fabric replicates).
 */
export function lower(p: Program, multicast: boolean): Program {
  const lowered = new Map<number, Op[][]>();
  const tags = { next: 1 };
  const of = (c: CollectiveOp): Op[][] => {
    let per = lowered.get(c.id);
    if (!per) {
      // Lists for the members only: the lowering appends to no other unit.
      per = [];
      for (const u of c.group) per[u] = [];
      lowerCollective(new Builder(per, tags), c, multicast);
      lowered.set(c.id, per);
    }
    return per;
  };
  const ops = p.ops.map((list, u) => list.flatMap((op) => (op.kind === 'collective' ? of(op)[u]! : [op])));
  return { units: p.units, buffers: p.buffers, ops };
}

/** The logical collectives of a program, each once. */
export function collectivesOf(p: Program): CollectiveOp[] {
  const seen = new Map<number, CollectiveOp>();
  for (const list of p.ops) for (const op of list) if (op.kind === 'collective') seen.set(op.id, op);
  return [...seen.values()];
}
