// Programs: what each unit (a shard, or a tile) does in one step, as a list of ops on named f32 buffer regions.
// The same program is executed by the workers, counted for bytes, and replayed as a dependency graph.

export interface MatmulOp {
  kind: 'matmul';
  a: string;
  offA: number;
  b: string;
  offB: number;
  c: string;
  offC: number;
  m: number;
  n: number;
  k: number;
  accumulate: boolean;
  label: string;
}
export interface GeluOp {
  kind: 'gelu';
  buf: string;
  off: number;
  count: number;
  label: string;
}
/** dst[offDst..] += src[offSrc..] (the reduction of a collective); `src` and `dst` are different buffers. */
export interface AddOp {
  kind: 'add';
  dst: string;
  offDst: number;
  src: string;
  offSrc: number;
  count: number;
  label: string;
}
/** A local copy on one unit (e.g. an out-of-place collective's input to output). */
export interface CopyOp {
  kind: 'copy';
  dst: string;
  offDst: number;
  src: string;
  offSrc: number;
  count: number;
  label: string;
}
/** Sends a region to one unit (cluster) or multicasts it along a mesh line (wafer). */
export interface SendOp {
  kind: 'send';
  to: number[];
  buf: string;
  off: number;
  count: number;
  tag: number;
  label: string;
}
export interface RecvOp {
  kind: 'recv';
  from: number;
  buf: string;
  off: number;
  count: number;
  tag: number;
  label: string;
}

export type Op = MatmulOp | GeluOp | AddOp | CopyOp | SendOp | RecvOp;
export type ComputeOp = MatmulOp | GeluOp | AddOp | CopyOp;

export interface Program {
  units: number;
  /** Buffers of each unit: name → size in f32 elements. */
  buffers: Record<string, number>[];
  ops: Op[][];
}

export const kFloatBytes = 4;

export const isCompute = (op: Op): op is ComputeOp => op.kind !== 'send' && op.kind !== 'recv';

/** The shape that determines a compute op's duration: ops with equal signatures are timed once. */
export function signature(op: ComputeOp): string {
  switch (op.kind) {
    case 'matmul':
      return `matmul:${op.m}x${op.n}x${op.k}:${op.accumulate ? 'acc' : 'set'}:${(op.offA % 4) | (op.offB % 4) | (op.offC % 4) ? 'u' : 'a'}`;
    case 'gelu':
      return `gelu:${op.count}`;
    case 'add':
      return `add:${op.count}`;
    case 'copy':
      return `copy:${op.count}`;
  }
}

/** Bytes each unit sends in one step (a multicast counts once: the fabric replicates it). */
export function bytesSent(p: Program): number[] {
  return p.ops.map((ops) => ops.reduce((s, op) => s + (op.kind === 'send' ? op.count * kFloatBytes : 0), 0));
}

interface Access {
  buf: string;
  lo: number;
  hi: number;
  write: boolean;
}

function accesses(op: Op): Access[] {
  const r = (buf: string, off: number, count: number, write = false): Access => ({ buf, lo: off, hi: off + count, write });
  switch (op.kind) {
    case 'matmul': {
      const out = [r(op.a, op.offA, op.m * op.k), r(op.b, op.offB, op.k * op.n), r(op.c, op.offC, op.m * op.n, true)];
      if (op.accumulate) out.push(r(op.c, op.offC, op.m * op.n));
      return out;
    }
    case 'gelu':
      return [r(op.buf, op.off, op.count), r(op.buf, op.off, op.count, true)];
    case 'add':
      return [r(op.src, op.offSrc, op.count), r(op.dst, op.offDst, op.count), r(op.dst, op.offDst, op.count, true)];
    case 'copy':
      return [r(op.src, op.offSrc, op.count), r(op.dst, op.offDst, op.count, true)];
    case 'send':
      return [r(op.buf, op.off, op.count)];
    case 'recv':
      return [r(op.buf, op.off, op.count, true)];
  }
}

const overlaps = (a: Access, b: Access): boolean => a.buf === b.buf && a.lo < b.hi && b.lo < a.hi;

/** Within one unit: op i depends on every earlier op it has a read/write hazard with (RAW, WAR, WAW). */
export function localDeps(ops: Op[]): number[][] {
  const acc = ops.map(accesses);
  return ops.map((_, i) => {
    const deps: number[] = [];
    for (let j = i - 1; j >= 0; j--) {
      const hazard = acc[i]!.some((x) => acc[j]!.some((y) => (x.write || y.write) && overlaps(x, y)));
      if (hazard) deps.push(j);
    }
    return deps;
  });
}

export function checkProgram(p: Program): void {
  p.ops.forEach((ops, u) => {
    const bufs = p.buffers[u]!;
    for (const op of ops) {
      for (const a of accesses(op)) {
        const size = bufs[a.buf];
        if (size === undefined) throw new Error(`unit ${u}: ${op.label} uses unknown buffer ${a.buf}`);
        if (a.lo < 0 || a.hi > size) throw new Error(`unit ${u}: ${op.label} reaches ${a.buf}[${a.lo}, ${a.hi}) past its ${size} elements`);
      }
    }
  });
}
