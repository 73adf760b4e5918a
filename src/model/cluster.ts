// The cluster side on its target: GPUs in nodes of `gpusPerNode` joined by `link`, nodes joined by `scaleout`;
// kernels priced by the roofline of one GPU, collectives by NCCL's model on that topology.

import { specOf, type ComputeOp } from '../ops/index.ts';
import type { CollectiveOp } from '../engine/program.ts';
import { kBusFactor } from '../collectives/index.ts';
import { cachedCost, collectiveUs, type Hop, type PairCost } from './collective-cost.ts';
import { at, type Scenario } from './figure.ts';
import { kElemBytes, type GpuPreset, type Precision } from './hardware/gpus.ts';
import type { LinkPreset } from './hardware/links.ts';
import { kBaseLatUs, kHwLatUs, kNcclSource, kProtocols, netOverheadUs, protocolGBs, type Protocol } from './nccl.ts';
import type { CollectiveCostOut, Target } from './target.ts';

export interface ClusterSpec {
  gpu: GpuPreset;
  link: LinkPreset;
  scaleout: LinkPreset;
  gpusPerNode: number;
  units: number;
  precision: Precision;
  /** Overrides the GPU's dense peak (TFLOP/s) for `precision` (link=custom). */
  peakTflops?: number;
  /** Torus axes a collective uses (default: those a slice of `units` chips spans). */
  torusAxes?: number;
}

/** Torus axes a slice of p chips spans (v5p slices: 2x2x1 for 4 chips, 2x2x2 for 8, …). */
export const torusAxes = (p: number): number => (p <= 2 ? 1 : p <= 4 ? 2 : 3);

export class ClusterTarget implements Target {
  readonly side = 'cluster';
  readonly elemBytes: number;
  readonly unitMemoryBytes: number;
  readonly peakTflops: number;
  readonly watts: number;
  readonly nodes: number;
  private readonly peak: number;
  private readonly eta: { c: number; m: number };
  private readonly memBps: number;
  private readonly launch: number;
  private readonly cache = new Map<string, CollectiveCostOut>();

  constructor(
    readonly spec: ClusterSpec,
    readonly scenario: Scenario,
  ) {
    const s = scenario;
    const g = spec.gpu;
    this.elemBytes = kElemBytes[spec.precision];
    this.peak = (spec.peakTflops ?? at(g.peak[spec.precision], s, 'high')) * 1e12;
    this.eta = { c: at(g.etaCompute, s, 'high'), m: at(g.etaMemory, s, 'high') };
    this.memBps = at(g.memGBs, s, 'high') * 1e9;
    this.launch = at(g.launchUs, s, 'low');
    this.unitMemoryBytes = g.memGB.value * 1e9;
    this.peakTflops = (this.peak / 1e12) * spec.units;
    this.watts = at(g.watts, s, 'low') * spec.units;
    this.nodes = Math.ceil(spec.units / spec.gpusPerNode);
  }

  get units(): number {
    return this.spec.units;
  }

  get describe(): string {
    const { gpu, link, scaleout, gpusPerNode, units } = this.spec;
    const across = this.nodes > 1 ? `, ${this.nodes} nodes of ${gpusPerNode} over ${scaleout.label}` : '';
    return `${units} × ${gpu.label} over ${link.label}${across}`;
  }

  get assumptions(): string[] {
    const out = [
      `kernels: launch + max(FLOPs / (η_c·peak), bytes / (η_m·HBM)), η_c ${this.eta.c}, η_m ${this.eta.m}, launch ${this.launch} µs`,
      `collectives: ${this.spec.link.latency.kind === 'nccl' ? `${kNcclSource}; the fastest protocol for the size, as NCCL picks it` : 'fixed base latency per collective and per hop'}; bandwidth at the achieved bus bandwidth, not line rate`,
    ];
    if (this.nodes > 1)
      out.push(
        `a ring spanning nodes stripes its channels over every GPU's NIC (node egress = GPUs per node × NIC); other algorithms send over each GPU's own NIC`,
      );
    if (this.spec.link.nvls)
      out.push(
        'collective=nvls: NVLink SHARP inside a node, priced at its own latency and measured bus bandwidth; across nodes it is priced as a ring',
      );
    if (this.spec.link.topology === 'torus')
      out.push(`torus collectives use both directions of the ${torusAxes(this.units)} axes a slice of ${this.units} spans`);
    return out;
  }

  private node(u: number): number {
    return Math.floor(u / this.spec.gpusPerNode);
  }

  kernelParts(op: ComputeOp): { floor: number; compute: number; memory: number } {
    const spec = specOf(op);
    return {
      floor: this.kernelFloorUs(op),
      compute: (spec.flops(op) / (this.eta.c * this.peak)) * 1e6,
      memory: ((spec.memElems(op) * this.elemBytes) / (this.eta.m * this.memBps)) * 1e6,
    };
  }

  kernelUs(op: ComputeOp): number {
    const p = this.kernelParts(op);
    return p.floor + Math.max(p.compute, p.memory);
  }

  kernelFloorUs(op: ComputeOp): number {
    return 'fused' in op && op.fused ? 0 : this.launch;
  }

  /** The message cost between two GPUs for a collective's algorithm and protocol. */
  pair(c: CollectiveOp, proto: Protocol, nodes = this.nodesOf(c)): PairCost {
    const { link, scaleout } = this.spec;
    const perNode = Math.max(1, Math.ceil(c.group.length / nodes));
    const s = this.scenario;
    const ring = c.algorithm === 'ring' && c.op !== 'broadcast';
    const latency = (l: LinkPreset, inter: boolean): number => {
      if (l.latency.kind === 'fixed') return at(l.latency.hopUs, s, 'low');
      const hw = kHwLatUs[l.latency.hw][proto];
      return !inter && nodes > 1 ? Math.max(hw, netOverheadUs(proto)) : hw;
    };
    const bus = (l: LinkPreset, p: number): number => {
      const b = at(l.busGBs, s, 'high');
      return l.topology === 'torus' ? b * 2 * (this.spec.torusAxes ?? torusAxes(p)) : b;
    };
    return (a: number, b: number): Hop => {
      const inter = this.node(a) !== this.node(b);
      const l = inter ? scaleout : link;
      if (inter) {
        // NCCL runs one ring per NIC (channels), each leaving the node from a different GPU.
        const B = bus(l, c.group.length) * (ring ? perNode : 1);
        return { L: latency(l, true), B: protocolGBs(proto, B, nodes), cls: 'nic' };
      }
      if (l.topology === 'mesh' && !ring && c.algorithm !== 'rhd' && l.p2pGBs) {
        // Direct and broadcast messages each take their own peer link.
        return {
          L: latency(l, false),
          B: protocolGBs(proto, at(l.p2pGBs, s, 'high'), nodes),
          cls: `peer${Math.min(a, b)}-${Math.max(a, b)}`,
        };
      }
      return { L: latency(l, false), B: protocolGBs(proto, bus(l, c.group.length), nodes), cls: 'link' };
    };
  }

  /** Charged once per collective: NCCL's base latency for the protocol, and the collective kernel's launch. */
  baseUs(proto: Protocol, spansNodes: boolean): number {
    const l = spansNodes ? this.spec.scaleout : this.spec.link;
    const base = l.latency.kind === 'nccl' ? kBaseLatUs[proto] : at(l.latency.baseUs, this.scenario, 'low');
    // The collective is a kernel of its own: one launch (already in a base fitted to measured times).
    return base + (l.launchIncluded ? 0 : this.launch);
  }

  collective(c: CollectiveOp): CollectiveCostOut {
    return cachedCost(this.cache, c, (x) => this.price(x));
  }

  /** The nodes a collective's group spans. */
  private nodesOf(c: CollectiveOp): number {
    return new Set(c.group.map((u) => this.node(u))).size;
  }

  private price(c: CollectiveOp): CollectiveCostOut {
    const nodes = this.nodesOf(c);
    const spansNodes = nodes > 1;
    const l = spansNodes ? this.spec.scaleout : this.spec.link;
    const sharp = this.spec.link.nvls;
    if (c.algorithm === 'nvls' && sharp && !spansNodes && c.op !== 'broadcast') {
      // NVLink SHARP: one fixed latency, and the bus bandwidth measured with it.
      const s = this.scenario;
      const factor = kBusFactor[c.op](c.group.length);
      const bytes = c.count * this.elemBytes;
      const floor = this.launch + at(sharp.latencyUs, s, 'low');
      return {
        us: floor + (bytes * factor) / (at(sharp.busGBs, s, 'high') * 1e3),
        protocol: 'Simple',
        floorUs: floor,
        bytesPerRank: bytes * factor,
        resources: c.group.map((u) => `link${u}`),
      };
    }
    if (c.algorithm === 'nvls') c = { ...c, algorithm: 'ring' };
    const protos: Protocol[] = l.latency.kind === 'nccl' ? [...kProtocols] : ['Simple'];
    let best: CollectiveCostOut | null = null;
    for (const proto of protos) {
      const t = collectiveUs(c, this.elemBytes, this.pair(c, proto, nodes), 'ring');
      const base = this.baseUs(proto, spansNodes);
      const us = base + t.us;
      if (!best || us < best.us) {
        best = {
          us,
          protocol: l.latency.kind === 'nccl' ? proto : null,
          floorUs: base,
          bytesPerRank: t.bytesPerRank,
          resources: c.group.flatMap((u) => (spansNodes ? [`link${u}`, `nic${u}`] : [`link${u}`])),
        };
      }
    }
    return best!;
  }
}
