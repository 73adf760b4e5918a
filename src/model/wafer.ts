// The wafer side on its target: an R×C mesh of tiles cut from the fabric's cores. A message pays its distance in
// core hops (plus getting on and off the fabric) and streams through as many links as the tile has cores along
// the edge it crosses; a kernel pays the roofline of its cores and moving its operands across them, never less
// than the pipeline fill across the tile.

import { specOf, type ComputeOp } from '../ops/index.ts';
import type { CollectiveOp } from '../engine/program.ts';
import type { Grid } from '../config/params.ts';
import { cachedCost, collectiveUs, type Hop } from './collective-cost.ts';
import { at, type Scenario } from './figure.ts';
import type { FabricPreset } from './hardware/fabrics.ts';
import { kElemBytes, type Precision } from './hardware/gpus.ts';
import type { CollectiveCostOut, Target } from './target.ts';

/** Reduce-and-broadcast phases per kernel inside a tile (WaferLLM's decode layer: 10 per layer, as here). */
const kPhases: Partial<Record<ComputeOp['kind'], number>> = { matmul: 1, rmsnorm: 1, attention: 4 };

export interface WaferSpec {
  fabric: FabricPreset;
  mesh: Grid;
  precision: Precision;
  /** Overrides (fabric=custom): whole-wafer dense peak (TFLOP/s), µs per core hop, GB/s per core link. */
  peakTflops?: number;
  hopUs?: number;
  linkGBs?: number;
  /** Wafer systems, each cut into `mesh` (default 1): tiles of wafer w are units w·R·C … (w+1)·R·C − 1. */
  wafers?: number;
}

/** Bytes of SRAM one tile of `mesh` holds: its cores (the fabric's height / R × width / C) × SRAM per core. */
export const tileMemoryBytes = (fabric: FabricPreset, mesh: Grid): number =>
  (fabric.height.value / mesh.rows) * (fabric.width.value / mesh.cols) * fabric.sramKB.value * 1e3;

export class WaferTarget implements Target {
  readonly side = 'wafer';
  readonly elemBytes: number;
  readonly unitMemoryBytes: number;
  readonly peakTflops: number;
  readonly watts: number;
  /** A tile's size in cores: rows (along the fabric's height) × columns. */
  readonly tile: { rows: number; cols: number };
  private readonly clock: number; // cycles per µs
  private readonly hopUs: number;
  private readonly rampUs: number;
  private readonly phaseUs: number;
  private readonly linkBps: number; // bytes per second per link per direction
  private readonly corePeak: number; // FLOP/s per core
  private readonly eta: number;
  private readonly sramBps: number; // per core
  private readonly cache = new Map<string, CollectiveCostOut>();
  private readonly io: { L: number; B: number };
  readonly wafers: number;

  constructor(
    readonly spec: WaferSpec,
    readonly scenario: Scenario,
  ) {
    const f = spec.fabric;
    const s = scenario;
    const width = f.width.value;
    const height = f.height.value;
    this.tile = { rows: height / spec.mesh.rows, cols: width / spec.mesh.cols };
    const ghz = at(f.clockGHz, s, 'high');
    this.clock = ghz * 1e3;
    this.hopUs = spec.hopUs ?? at(f.cyclesPerHop, s, 'low') / this.clock;
    this.rampUs = at(f.rampCycles, s, 'low') / this.clock;
    this.phaseUs = at(f.phaseCycles, s, 'low') / this.clock;
    this.linkBps = spec.linkGBs !== undefined ? spec.linkGBs * 1e9 : at(f.linkBytesPerCycle, s, 'high') * ghz * 1e9;
    const wafer = (spec.peakTflops ?? at(f.peak[spec.precision], s, 'high')) * 1e12;
    this.corePeak = wafer / (width * height);
    this.eta = at(f.etaCompute, s, 'high');
    this.sramBps = at(f.sramGBs, s, 'high') * 1e9;
    this.elemBytes = kElemBytes[spec.precision];
    this.unitMemoryBytes = tileMemoryBytes(f, spec.mesh);
    this.wafers = spec.wafers ?? 1;
    this.peakTflops = (wafer / 1e12) * this.wafers;
    this.watts = at(f.watts, s, 'low') * this.wafers;
    this.io = { L: at(f.ioLatencyUs, s, 'low'), B: at(f.ioGBs, s, 'high') };
  }

  get units(): number {
    return this.spec.mesh.rows * this.spec.mesh.cols * this.wafers;
  }

  private waferOf(u: number): number {
    return Math.floor(u / (this.spec.mesh.rows * this.spec.mesh.cols));
  }

  get cores(): number {
    return this.tile.rows * this.tile.cols;
  }

  get describe(): string {
    const { mesh, fabric } = this.spec;
    const systems = this.wafers > 1 ? `${this.wafers} systems, each ` : '';
    return `${systems}${fabric.label}: ${mesh.rows}×${mesh.cols} tiles of ${Math.round(this.tile.rows)}×${Math.round(this.tile.cols)} cores`;
  }

  get assumptions(): string[] {
    return [
      `a message pays its distance in core hops (${(this.hopUs * 1e3).toFixed(2)} ns each) plus ${(this.rampUs * 2e3).toFixed(2)} ns on and off the fabric, and streams through one link per core along the tile edge it crosses (${(this.linkBps / 1e9).toFixed(2)} GB/s per link per direction)`,
      `a tile's kernel: its reduce-and-broadcast phases (${Math.round(this.phaseUs * this.clock)} cycles each; a matmul or norm 1, attention 4) and the fill across the tile, then max(FLOPs / (η_c·peak of its cores), SRAM bytes / SRAM bandwidth, operand bytes over its core links); η_c ${this.eta}`,
      'collectives between tiles run as programmed (rings, multicasts); reductions happen in the cores as data streams, inside the transfer time',
      ...(this.wafers > 1 ? [`between systems: ${this.io.L} µs and ${this.io.B} GB/s per direction over their I/O`] : []),
    ];
  }

  private at(u: number): [number, number] {
    const local = u % (this.spec.mesh.rows * this.spec.mesh.cols);
    return [Math.floor(local / this.spec.mesh.cols), local % this.spec.mesh.cols];
  }

  /** A message between tiles: distance in cores, tile-edge bandwidth in the direction it travels; between systems, their I/O. */
  hop(a: number, b: number): Hop {
    if (this.waferOf(a) !== this.waferOf(b)) return { L: this.io.L + 2 * this.rampUs, B: this.io.B, cls: 'io' };
    const [ia, ja] = this.at(a);
    const [ib, jb] = this.at(b);
    const di = Math.abs(ia - ib);
    const dj = Math.abs(ja - jb);
    const cores = di * this.tile.rows + dj * this.tile.cols;
    const L = cores * this.hopUs + 2 * this.rampUs;
    // Along a row a tile's edge has tile.rows links; along a column, tile.cols.
    const lanes = dj && di ? Math.min(this.tile.rows, this.tile.cols) : dj ? this.tile.rows : this.tile.cols;
    const B = (lanes * this.linkBps) / 1e9;
    const cls = dj ? (jb > ja ? 'E' : 'W') : ib > ia ? 'S' : 'N';
    return { L, B, cls };
  }

  /**
   * A kernel's floor: elementwise ops get on and off the fabric; a reduction pays, for each reduce-and-broadcast
   * phase (a matmul's partial sums, a norm's sum of squares; attention's scores, softmax max and sum, and weighted
   * values), the phase's fixed cycles, plus one fill across the tile (a reduce pass along one side, a broadcast
   * along the other).
   */
  kernelFloorUs(op: ComputeOp): number {
    if ('fused' in op && op.fused) return 0;
    const phases = kPhases[op.kind];
    return phases ? phases * this.phaseUs + (this.tile.rows + this.tile.cols) * this.hopUs : 2 * this.rampUs;
  }

  kernelUs(op: ComputeOp): number {
    const p = this.kernelParts(op);
    return p.floor + Math.max(p.compute, p.memory);
  }

  kernelParts(op: ComputeOp): { floor: number; compute: number; memory: number } {
    const spec = specOf(op);
    const compute = spec.flops(op) / (this.eta * this.corePeak * this.cores);
    const sram = (spec.memElems(op) * this.elemBytes) / (this.sramBps * this.cores);
    let fabric = 0;
    if (op.kind === 'matmul') {
      // Operands cross the tile's cores: SUMMA within the tile (A and B panels stream along rows and columns), or
      // weight-stationary (B stays put; A's k-segments stream along rows and partial sums reduce down columns).
      const { rows, cols } = this.tile;
      const mc = Math.ceil(op.m / rows);
      const nc = Math.ceil(op.n / cols);
      const kc = Math.ceil(op.k / rows);
      const summa = Math.max(mc, nc) * op.k;
      const stationary = op.m * (kc + nc);
      fabric = (Math.min(summa, stationary) * this.elemBytes) / this.linkBps;
    }
    return { floor: this.kernelFloorUs(op), compute: compute * 1e6, memory: Math.max(sram, fabric) * 1e6 };
  }

  collective(c: CollectiveOp): CollectiveCostOut {
    return cachedCost(this.cache, c, (x) => this.price(x));
  }

  private price(c: CollectiveOp): CollectiveCostOut {
    const t = collectiveUs(c, this.elemBytes, (a, b) => this.hop(a, b), 'multicast');
    const rows = new Set(c.group.map((u) => this.at(u)[0])).size;
    const cols = new Set(c.group.map((u) => this.at(u)[1])).size;
    const systems = new Set(c.group.map((u) => this.waferOf(u))).size;
    const axes = systems > 1 ? ['io'] : rows === 1 ? ['row'] : cols === 1 ? ['col'] : ['row', 'col'];
    const nearest = Math.min(...c.group.slice(1).map((u) => this.hop(c.group[0]!, u).L));
    return {
      us: t.us,
      protocol: null,
      floorUs: nearest,
      bytesPerRank: t.bytesPerRank,
      resources: c.group.flatMap((u) => axes.map((a) => `${a}${u}`)),
    };
  }
}
