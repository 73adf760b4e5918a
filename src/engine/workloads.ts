// Builds each workload as a program for one execution style: SUMMA on a tile mesh or device grid, K-split and
// row-split GEMM, the Megatron MLP (cluster) and 2D weight-stationary MLP (wafer), and the all-reduce sweep.

import type { Collective, Config, Grid, Strategy } from '../config/params.ts';
import { gridOf, squarest, tilesOf } from '../config/params.ts';
import { Builder, allReduce, chunks, collectiveProblem, scratchFloats } from './collectives.ts';
import { checkProgram, type Program } from './program.ts';

/** Unit `unit` holds, at buf[off..], the row-major block matrix[r0 : r0+rows, c0 : c0+cols]. */
export interface Placement {
  unit: number;
  buf: string;
  off: number;
  matrix: string;
  r0: number;
  c0: number;
  rows: number;
  cols: number;
}

export interface Plan {
  program: Program;
  /** Global matrices by name: [rows, cols]. */
  matrices: Record<string, [number, number]>;
  inputs: Placement[];
  /** Where the result lies (every copy of it is checked). */
  outputs: Placement[];
  /** The name of the result matrix for the reference. */
  result: string;
  flops: number;
  /** Mesh coordinates (wafer) for hop distances; null for a cluster. */
  mesh: Grid | null;
  collective: Collective;
  describe: string;
}

export type Style = 'wafer' | 'cluster';

const lcm = (a: number, b: number): number => {
  const gcd = (x: number, y: number): number => (y ? gcd(y, x % y) : x);
  return (a * b) / gcd(a, b);
};

function emptyProgram(units: number): Program {
  return { units, buffers: Array.from({ length: units }, () => ({})), ops: Array.from({ length: units }, () => []) };
}

/** Why a workload cannot be laid out as asked, or null. */
export function layoutProblem(c: Config, style: Style, units?: number): string | null {
  const n = units ?? c.shards;
  const t = style === 'wafer' ? (units ? squarest(units) : tilesOf(c)) : gridOf(c);
  if (c.workload === 'gemm') {
    if (style === 'wafer' || c.strategy === 'summa') {
      const L = lcm(t.rows, t.cols);
      const what = style === 'wafer' ? `tiles=${t.rows}x${t.cols}` : `grid=${t.rows}x${t.cols}`;
      if (c.m < t.rows || c.n < t.cols || c.k < L)
        return `${what} needs m ≥ ${t.rows}, n ≥ ${t.cols} and k ≥ ${L} (one panel per step); got m=${c.m}, n=${c.n}, k=${c.k}`;
    } else if (c.strategy === 'ksplit' && c.k < n) return `strategy=ksplit over ${n} shards needs k ≥ ${n}; got k=${c.k}`;
    else if (c.strategy === 'rows' && c.m < n) return `strategy=rows over ${n} shards needs m ≥ ${n}; got m=${c.m}`;
  }
  if (c.workload === 'mlp') {
    if (style === 'wafer' && (c.hidden < t.rows || 4 * c.hidden < t.cols))
      return `tiles=${t.rows}x${t.cols} need hidden ≥ ${t.rows}; got hidden=${c.hidden}`;
    if (style === 'cluster' && 4 * c.hidden < n) return `mlp over ${n} shards needs 4·hidden ≥ ${n}; got hidden=${c.hidden}`;
  }
  const p = style === 'wafer' ? t.rows * t.cols : n;
  if (c.workload !== 'gemm' || c.strategy === 'ksplit') {
    const problem = collectiveProblem(style === 'wafer' ? 'ring' : c.collective, p);
    if (problem) return problem;
  }
  return null;
}

/** A checked GEMM plan: C = A·B (M×K by K×N). */
function gemmPlan(
  p: Program,
  [m, n, k]: number[],
  inputs: Placement[],
  outputs: Placement[],
  mesh: Grid | null,
  collective: Collective,
  describe: string,
): Plan {
  checkProgram(p);
  return {
    program: p,
    matrices: { A: [m!, k!], B: [k!, n!], C: [m!, n!] },
    inputs,
    outputs,
    result: 'C',
    flops: 2 * m! * n! * k!,
    mesh,
    collective,
    describe,
  };
}

/**
 * SUMMA on an R×C mesh: K is cut into lcm(R, C) panels; tile (i, j) owns the A panels b ≡ j (mod C) of its row
 * block and the B panels b ≡ i (mod R) of its column block. At step b the owners broadcast along rows (A) and
 * columns (B) — a multicast on the wafer's fabric, one send per peer on a cluster — then every unit accumulates.
 */
export function summaPlan(m: number, n: number, k: number, g: Grid, multicast: boolean): Plan {
  const { rows: R, cols: C } = g;
  const units = R * C;
  const L = lcm(R, C);
  const rowsOf = chunks(m, R);
  const colsOf = chunks(n, C);
  const panels = chunks(k, L);
  const maxKb = Math.max(...panels.map((p) => p.count));
  const p = emptyProgram(units);
  const b = new Builder(p.ops);
  const inputs: Placement[] = [];
  const outputs: Placement[] = [];
  // Offsets of each owned panel inside the owner's A and B buffers.
  const aOff = new Map<string, number>();
  const bOff = new Map<string, number>();
  for (let i = 0; i < R; i++) {
    for (let j = 0; j < C; j++) {
      const u = i * C + j;
      const mi = rowsOf[i]!.count;
      const nj = colsOf[j]!.count;
      let ao = 0;
      let bo = 0;
      panels.forEach((pn, s) => {
        if (s % C === j) {
          aOff.set(`${u}:${s}`, ao);
          inputs.push({ unit: u, buf: 'A', off: ao, matrix: 'A', r0: rowsOf[i]!.off, c0: pn.off, rows: mi, cols: pn.count });
          ao += mi * pn.count;
        }
        if (s % R === i) {
          bOff.set(`${u}:${s}`, bo);
          inputs.push({ unit: u, buf: 'B', off: bo, matrix: 'B', r0: pn.off, c0: colsOf[j]!.off, rows: pn.count, cols: nj });
          bo += pn.count * nj;
        }
      });
      p.buffers[u] = {
        A: Math.max(ao, 1),
        B: Math.max(bo, 1),
        C: mi * nj,
        Ap0: mi * maxKb,
        Ap1: mi * maxKb,
        Bp0: maxKb * nj,
        Bp1: maxKb * nj,
      };
      outputs.push({ unit: u, buf: 'C', off: 0, matrix: 'C', r0: rowsOf[i]!.off, c0: colsOf[j]!.off, rows: mi, cols: nj });
    }
  }
  const send = (from: number, to: number[], src: { buf: string; off: number }, dst: string, count: number, label: string) => {
    if (to.length === 0) return;
    if (multicast)
      b.message(
        from,
        to,
        src,
        to.map(() => ({ buf: dst, off: 0 })),
        count,
        label,
      );
    else for (const t of to) b.message(from, [t], src, [{ buf: dst, off: 0 }], count, label);
  };
  panels.forEach((pn, s) => {
    const ja = s % C;
    const ib = s % R;
    for (let i = 0; i < R; i++) {
      const owner = i * C + ja;
      const peers = Array.from({ length: C }, (_, j) => i * C + j).filter((u) => u !== owner);
      send(
        owner,
        peers,
        { buf: 'A', off: aOff.get(`${owner}:${s}`)! },
        `Ap${s % 2}`,
        rowsOf[i]!.count * pn.count,
        `A panel ${s + 1}/${L} along row ${i}`,
      );
    }
    for (let j = 0; j < C; j++) {
      const owner = ib * C + j;
      const peers = Array.from({ length: R }, (_, i) => i * C + j).filter((u) => u !== owner);
      send(
        owner,
        peers,
        { buf: 'B', off: bOff.get(`${owner}:${s}`)! },
        `Bp${s % 2}`,
        pn.count * colsOf[j]!.count,
        `B panel ${s + 1}/${L} along column ${j}`,
      );
    }
    b.flush();
    for (let i = 0; i < R; i++) {
      for (let j = 0; j < C; j++) {
        const u = i * C + j;
        const a = j === ja ? { buf: 'A', off: aOff.get(`${u}:${s}`)! } : { buf: `Ap${s % 2}`, off: 0 };
        const bb = i === ib ? { buf: 'B', off: bOff.get(`${u}:${s}`)! } : { buf: `Bp${s % 2}`, off: 0 };
        b.push(u, {
          kind: 'matmul',
          a: a.buf,
          offA: a.off,
          b: bb.buf,
          offB: bb.off,
          c: 'C',
          offC: 0,
          m: rowsOf[i]!.count,
          n: colsOf[j]!.count,
          k: pn.count,
          accumulate: s > 0,
          label: `matmul panel ${s + 1}/${L}`,
        });
      }
    }
  });
  return gemmPlan(p, [m, n, k], inputs, outputs, g, 'ring', `SUMMA on ${R}x${C}, ${L} panel steps`);
}

/** K split across shards: partial C on every shard, then an all-reduce of C (Megatron's row-parallel layer). */
export function ksplitPlan(m: number, n: number, k: number, shards: number, collective: Collective): Plan {
  const p = emptyProgram(shards);
  const b = new Builder(p.ops);
  const ks = chunks(k, shards);
  const inputs: Placement[] = [];
  const outputs: Placement[] = [];
  for (let r = 0; r < shards; r++) {
    const kr = ks[r]!;
    p.buffers[r] = { A: m * kr.count, B: kr.count * n, C: m * n, scratch: Math.max(1, scratchFloats(collective, m * n, shards)) };
    inputs.push({ unit: r, buf: 'A', off: 0, matrix: 'A', r0: 0, c0: kr.off, rows: m, cols: kr.count });
    inputs.push({ unit: r, buf: 'B', off: 0, matrix: 'B', r0: kr.off, c0: 0, rows: kr.count, cols: n });
    outputs.push({ unit: r, buf: 'C', off: 0, matrix: 'C', r0: 0, c0: 0, rows: m, cols: n });
    b.push(r, {
      kind: 'matmul',
      a: 'A',
      offA: 0,
      b: 'B',
      offB: 0,
      c: 'C',
      offC: 0,
      m,
      n,
      k: kr.count,
      accumulate: false,
      label: 'matmul (K slice)',
    });
  }
  allReduce(b, collective, { group: [...Array(shards).keys()], buf: 'C', off: 0, count: m * n, scratch: 'scratch', label: 'all-reduce C' });
  return gemmPlan(p, [m, n, k], inputs, outputs, null, collective, `K split over ${shards} shards, ${collective} all-reduce of C`);
}

/** A split by rows, B replicated: no communication (the baseline). */
export function rowsPlan(m: number, n: number, k: number, shards: number): Plan {
  const p = emptyProgram(shards);
  const ms = chunks(m, shards);
  const inputs: Placement[] = [];
  const outputs: Placement[] = [];
  for (let r = 0; r < shards; r++) {
    const mr = ms[r]!;
    p.buffers[r] = { A: mr.count * k, B: k * n, C: mr.count * n };
    inputs.push({ unit: r, buf: 'A', off: 0, matrix: 'A', r0: mr.off, c0: 0, rows: mr.count, cols: k });
    inputs.push({ unit: r, buf: 'B', off: 0, matrix: 'B', r0: 0, c0: 0, rows: k, cols: n });
    outputs.push({ unit: r, buf: 'C', off: 0, matrix: 'C', r0: mr.off, c0: 0, rows: mr.count, cols: n });
    p.ops[r]!.push({
      kind: 'matmul',
      a: 'A',
      offA: 0,
      b: 'B',
      offB: 0,
      c: 'C',
      offC: 0,
      m: mr.count,
      n,
      k,
      accumulate: false,
      label: 'matmul (row block)',
    });
  }
  return gemmPlan(p, [m, n, k], inputs, outputs, null, 'ring', `A split by rows over ${shards} shards, B replicated`);
}

/**
 * Megatron MLP on n shards: W1 split by columns, GeLU, W2 split by rows, one all-reduce of Y per layer.
 * Layer l reads X (l = 0) or Y(l−1) and writes Y(l) into Y0/Y1 alternately, so X is never overwritten.
 */
export function megatronPlan(tokens: number, hidden: number, layers: number, shards: number, collective: Collective): Plan {
  const F = 4 * hidden;
  const p = emptyProgram(shards);
  const b = new Builder(p.ops);
  const fs = chunks(F, shards);
  const inputs: Placement[] = [];
  const outputs: Placement[] = [];
  const last = `Y${(layers - 1) % 2}`;
  for (let r = 0; r < shards; r++) {
    const f = fs[r]!.count;
    p.buffers[r] = {
      X: tokens * hidden,
      Y0: tokens * hidden,
      Y1: tokens * hidden,
      H: tokens * f,
      W1: layers * hidden * f,
      W2: layers * f * hidden,
      scratch: Math.max(1, scratchFloats(collective, tokens * hidden, shards)),
    };
    inputs.push({ unit: r, buf: 'X', off: 0, matrix: 'X', r0: 0, c0: 0, rows: tokens, cols: hidden });
    for (let l = 0; l < layers; l++) {
      inputs.push({ unit: r, buf: 'W1', off: l * hidden * f, matrix: `W1.${l}`, r0: 0, c0: fs[r]!.off, rows: hidden, cols: f });
      inputs.push({ unit: r, buf: 'W2', off: l * f * hidden, matrix: `W2.${l}`, r0: fs[r]!.off, c0: 0, rows: f, cols: hidden });
    }
    outputs.push({ unit: r, buf: last, off: 0, matrix: 'Y', r0: 0, c0: 0, rows: tokens, cols: hidden });
  }
  for (let l = 0; l < layers; l++) {
    const x = l === 0 ? 'X' : `Y${(l - 1) % 2}`;
    const y = `Y${l % 2}`;
    for (let r = 0; r < shards; r++) {
      const f = fs[r]!.count;
      b.push(r, {
        kind: 'matmul',
        a: x,
        offA: 0,
        b: 'W1',
        offB: l * hidden * f,
        c: 'H',
        offC: 0,
        m: tokens,
        n: f,
        k: hidden,
        accumulate: false,
        label: `layer ${l + 1} X·W1 (column-parallel)`,
      });
      b.push(r, { kind: 'gelu', buf: 'H', off: 0, count: tokens * f, label: `layer ${l + 1} GeLU` });
      b.push(r, {
        kind: 'matmul',
        a: 'H',
        offA: 0,
        b: 'W2',
        offB: l * f * hidden,
        c: y,
        offC: 0,
        m: tokens,
        n: hidden,
        k: f,
        accumulate: false,
        label: `layer ${l + 1} H·W2 (row-parallel)`,
      });
    }
    allReduce(b, collective, {
      group: [...Array(shards).keys()],
      buf: y,
      off: 0,
      count: tokens * hidden,
      scratch: 'scratch',
      label: `layer ${l + 1} all-reduce Y`,
    });
  }
  checkProgram(p);
  return {
    program: p,
    matrices: mlpMatrices(tokens, hidden, layers),
    inputs,
    outputs,
    result: 'Y',
    flops: layers * 4 * tokens * hidden * F,
    mesh: null,
    collective,
    describe: `Megatron MLP, ${layers} layer(s), tensor-parallel over ${shards} shards`,
  };
}

function mlpMatrices(tokens: number, hidden: number, layers: number): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = { X: [tokens, hidden], Y: [tokens, hidden] };
  for (let l = 0; l < layers; l++) {
    out[`W1.${l}`] = [hidden, 4 * hidden];
    out[`W2.${l}`] = [4 * hidden, hidden];
  }
  return out;
}

/** Ring order along a mesh line or over the whole mesh (snake order keeps ring neighbours adjacent). */
export function snake(g: Grid): number[] {
  const out: number[] = [];
  for (let i = 0; i < g.rows; i++) for (let j = 0; j < g.cols; j++) out.push(i * g.cols + (i % 2 ? g.cols - 1 - j : j));
  return out;
}

/**
 * Weight-stationary MLP on an R×C mesh: tile (i, j) keeps W1[hidden block i, 4h block j] and W2[4h block j,
 * hidden block i]. Activations stream: X·W1 partials are all-reduced along mesh columns, GeLU, then H·W2 partials
 * are all-reduced along mesh rows, which leaves the next layer's input block on every tile of the row.
 */
export function waferMlpPlan(tokens: number, hidden: number, layers: number, g: Grid): Plan {
  const { rows: R, cols: C } = g;
  const F = 4 * hidden;
  const hs = chunks(hidden, R);
  const fs = chunks(F, C);
  const p = emptyProgram(R * C);
  const b = new Builder(p.ops);
  const inputs: Placement[] = [];
  const outputs: Placement[] = [];
  const last = `Y${(layers - 1) % 2}`;
  for (let i = 0; i < R; i++) {
    for (let j = 0; j < C; j++) {
      const u = i * C + j;
      const h = hs[i]!.count;
      const f = fs[j]!.count;
      p.buffers[u] = {
        X: tokens * h,
        Y0: tokens * h,
        Y1: tokens * h,
        H: tokens * f,
        W1: layers * h * f,
        W2: layers * f * h,
        scratch: Math.max(1, scratchFloats('ring', tokens * f, R), scratchFloats('ring', tokens * h, C)),
      };
      inputs.push({ unit: u, buf: 'X', off: 0, matrix: 'X', r0: 0, c0: hs[i]!.off, rows: tokens, cols: h });
      for (let l = 0; l < layers; l++) {
        inputs.push({ unit: u, buf: 'W1', off: l * h * f, matrix: `W1.${l}`, r0: hs[i]!.off, c0: fs[j]!.off, rows: h, cols: f });
        inputs.push({ unit: u, buf: 'W2', off: l * f * h, matrix: `W2.${l}`, r0: fs[j]!.off, c0: hs[i]!.off, rows: f, cols: h });
      }
      outputs.push({ unit: u, buf: last, off: 0, matrix: 'Y', r0: 0, c0: hs[i]!.off, rows: tokens, cols: h });
    }
  }
  for (let l = 0; l < layers; l++) {
    const x = l === 0 ? 'X' : `Y${(l - 1) % 2}`;
    const y = `Y${l % 2}`;
    for (let u = 0; u < R * C; u++) {
      const h = hs[Math.floor(u / C)]!.count;
      const f = fs[u % C]!.count;
      b.push(u, {
        kind: 'matmul',
        a: x,
        offA: 0,
        b: 'W1',
        offB: l * h * f,
        c: 'H',
        offC: 0,
        m: tokens,
        n: f,
        k: h,
        accumulate: false,
        label: `layer ${l + 1} X·W1 partial`,
      });
    }
    for (let j = 0; j < C; j++) {
      const group = Array.from({ length: R }, (_, i) => i * C + j);
      allReduce(b, 'ring', {
        group,
        buf: 'H',
        off: 0,
        count: tokens * fs[j]!.count,
        scratch: 'scratch',
        label: `layer ${l + 1} column ${j} all-reduce H`,
      });
    }
    for (let u = 0; u < R * C; u++) {
      const h = hs[Math.floor(u / C)]!.count;
      const f = fs[u % C]!.count;
      b.push(u, { kind: 'gelu', buf: 'H', off: 0, count: tokens * f, label: `layer ${l + 1} GeLU` });
      b.push(u, {
        kind: 'matmul',
        a: 'H',
        offA: 0,
        b: 'W2',
        offB: l * f * h,
        c: y,
        offC: 0,
        m: tokens,
        n: h,
        k: f,
        accumulate: false,
        label: `layer ${l + 1} H·W2 partial`,
      });
    }
    for (let i = 0; i < R; i++) {
      const group = Array.from({ length: C }, (_, j) => i * C + (i % 2 ? C - 1 - j : j));
      allReduce(b, 'ring', {
        group,
        buf: y,
        off: 0,
        count: tokens * hs[i]!.count,
        scratch: 'scratch',
        label: `layer ${l + 1} row ${i} all-reduce Y`,
      });
    }
  }
  checkProgram(p);
  return {
    program: p,
    matrices: mlpMatrices(tokens, hidden, layers),
    inputs,
    outputs,
    result: 'Y',
    flops: layers * 4 * tokens * hidden * F,
    mesh: g,
    collective: 'ring',
    describe: `weight-stationary MLP on ${R}x${C} tiles, ${layers} layer(s)`,
  };
}

/** An out-of-place all-reduce of `count` floats over `units` units (input V copied to output O, reduced in O). */
export function allReducePlan(count: number, units: number, collective: Collective, mesh: Grid | null): Plan {
  const p = emptyProgram(units);
  const b = new Builder(p.ops);
  const inputs: Placement[] = [];
  const outputs: Placement[] = [];
  for (let r = 0; r < units; r++) {
    p.buffers[r] = { V: count, O: count, scratch: Math.max(1, scratchFloats(collective, count, units)) };
    inputs.push({ unit: r, buf: 'V', off: 0, matrix: `V.${r}`, r0: 0, c0: 0, rows: 1, cols: count });
    outputs.push({ unit: r, buf: 'O', off: 0, matrix: 'S', r0: 0, c0: 0, rows: 1, cols: count });
    b.push(r, { kind: 'copy', dst: 'O', offDst: 0, src: 'V', offSrc: 0, count, label: 'copy input to output' });
  }
  const group = mesh ? snake(mesh) : [...Array(units).keys()];
  allReduce(b, collective, { group, buf: 'O', off: 0, count, scratch: 'scratch', label: 'all-reduce' });
  checkProgram(p);
  const matrices: Record<string, [number, number]> = { S: [1, count] };
  for (let r = 0; r < units; r++) matrices[`V.${r}`] = [1, count];
  return {
    program: p,
    matrices,
    inputs,
    outputs,
    result: 'S',
    flops: 0,
    mesh,
    collective,
    describe: `${collective} all-reduce of ${count * 4} bytes over ${units} units`,
  };
}

/** The plan for a GEMM or MLP step in one style. */
export function stepPlan(c: Config, style: Style, units?: number): Plan {
  const tiles = units ? squarest(units) : tilesOf(c);
  const shards = units ?? c.shards;
  if (c.workload === 'mlp') {
    return style === 'wafer'
      ? waferMlpPlan(c.tokens, c.hidden, c.layers, tiles)
      : megatronPlan(c.tokens, c.hidden, c.layers, shards, c.collective);
  }
  if (style === 'wafer') return summaPlan(c.m, c.n, c.k, tiles, true);
  const strategy: Strategy = c.strategy;
  if (strategy === 'rows') return rowsPlan(c.m, c.n, c.k, shards);
  if (strategy === 'summa') return summaPlan(c.m, c.n, c.k, units ? squarest(units) : gridOf(c), false);
  return ksplitPlan(c.m, c.n, c.k, shards, c.collective);
}
