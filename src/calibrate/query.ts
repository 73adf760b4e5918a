// The query that carries a fitted link into the model (link=custom on a cluster of the log's rank count), and the
// model's own times for it: the query is parsed back and priced by collectiveRows, so what is printed beside the
// measurements is what the page and `npm run predict` compute from that query.

import { kMaxGpusPerNode, kMaxSweepBytes, parseQuery, type Config } from '../config/params.ts';
import type { CollectiveOp } from '../engine/program.ts';
import { kGpuPresets, type GpuName } from '../model/hardware/gpus.ts';
import { collectiveRows, sideLayout } from '../model/predict.ts';
import { targetsFor } from '../model/project.ts';
import { kKind, type FitCollective, type Link } from './fit.ts';

/** The GPU preset a device name printed by nccl-tests stands for, if any (SXM parts: PCIe and NVL differ in peak). */
export function presetOf(name: string): GpuName | null {
  if (/\bMI300X\b/i.test(name)) return 'mi300x';
  if (/\b(PCIe|NVL)\b/i.test(name)) return null;
  if (/\bH200\b/i.test(name)) return 'h200';
  if (/\bH100\b/i.test(name)) return 'h100';
  return null;
}

/** The query's tflops: the dense BF16 peak of the device the log names, or the H100's with a note. */
export function tflopsFor(deviceNames: string[]): { tflops: number; preset: GpuName | null; note: string } {
  const first = deviceNames[0] ?? '';
  const preset = presetOf(first);
  const mixed = deviceNames.length > 1 ? `; ranks report ${deviceNames.length} different devices, the first is used` : '';
  if (preset) {
    const g = kGpuPresets[preset];
    return { tflops: g.peak.bf16.value, preset, note: `tflops=${g.peak.bf16.value}: ${g.label}, dense BF16 peak (presets)${mixed}` };
  }
  const h100 = kGpuPresets.h100.peak.bf16.value;
  const what = first ? `"${first}" is not one of the presets (H100, H200 SXM, MI300X)` : 'the log names no device';
  return { tflops: h100, preset: null, note: `tflops=${h100} (the H100's): ${what}; set your GPU's dense BF16 peak${mixed}` };
}

/** Up to 5 significant digits, in a form parseQuery accepts (plain or with an exponent). */
const fmt = (x: number): string => String(Number(x.toPrecision(5)));

/** The sweep factor that reproduces the sizes (a geometric series), or null when they are not one. */
export function sweepFactor(sizes: number[]): number | null {
  const s = [...new Set(sizes.filter((b) => b > 0))].sort((a, b) => a - b);
  if (s.length < 2) return 2;
  const f = s[1]! / s[0]!;
  if (!Number.isInteger(f) || f < 2 || f > 1024) return null;
  return s.every((b, i) => i === 0 || b === s[i - 1]! * f) ? f : null;
}

export type QueryOut = { query: string; config: Config; notes: string[] } | { query: null; config: null; notes: string[] };

/**
 * link=custom&base&alpha&gbps&tflops&shards&gpusPerNode&workload=allreduce&mode=cluster&minBytes&maxBytes&factor.
 * gpusPerNode is the rank count: the fitted link stands for the whole group (NVLink and network together), and
 * only a group inside one "node" is priced on `link` alone — across nodes the model would put the hops between
 * them on `scaleout`, a preset, and the printed query would no longer reproduce the fit.
 */
export function queryFor(link: Link, ranks: number, nodes: number, sizes: number[], tflops: number): QueryOut {
  const notes: string[] = [];
  if (ranks > kMaxGpusPerNode)
    return {
      query: null,
      config: null,
      notes: [
        `no query: ${ranks} ranks are more than one node of the model may hold (gpusPerNode ≤ ${kMaxGpusPerNode}), so one custom link cannot price the whole group; the model column is the fitted formula`,
      ],
    };
  const pos = sizes.filter((b) => b > 0);
  const factor = sweepFactor(pos);
  const largest = Math.max(...pos);
  const minBytes = Math.max(4, Math.min(...pos));
  const maxBytes = Math.min(kMaxSweepBytes, largest);
  const q = new URLSearchParams({
    link: 'custom',
    base: fmt(link.baseUs),
    alpha: fmt(link.alphaUs),
    gbps: fmt(link.gbps),
    tflops: String(tflops),
    shards: String(ranks),
    gpusPerNode: String(ranks),
    workload: 'allreduce',
    mode: 'cluster',
    minBytes: String(minBytes),
    maxBytes: String(Math.max(minBytes, maxBytes)),
    factor: String(factor ?? 2),
  });
  const query = q.toString();
  const parsed = parseQuery(query);
  if (parsed.errors.length)
    return {
      query: null,
      config: null,
      notes: [`no query: the fitted link is outside what the model accepts: ${parsed.errors.map((e) => e.message).join('; ')}`],
    };
  if (nodes > 1)
    notes.push(
      `gpusPerNode=${ranks}: the fitted link stands for all ${ranks} GPUs on ${nodes} nodes (NVLink and network together), so the model prices every hop on it; with the real ${Math.ceil(ranks / nodes)} per node it would price the hops between nodes on scaleout=${parsed.config.scaleout} instead`,
    );
  if (factor === null) notes.push('the sizes are not a geometric sweep: sizes off the query’s sweep are priced by the same model directly');
  if (largest > kMaxSweepBytes) notes.push(`sizes above ${kMaxSweepBytes} bytes are past the sweep a query may ask for; priced directly`);
  return { query, config: parsed.config, notes };
}

/**
 * The model's time (µs, the middle scenario) for each size on the configuration: all-reduce sizes on the query's
 * sweep from collectiveRows itself; other collectives, and sizes off the sweep, from the same targets pricing the
 * same ring collective of that many bytes (all_gather's S is the gathered vector, reduce_scatter's the input).
 */
export function modelTimes(config: Config, collective: FitCollective, sizes: number[]): number[] {
  const layout = sideLayout(config, 'cluster');
  const swept = new Map<number, number>();
  const targets = targetsFor(config, layout);
  if (collective === 'all_reduce') for (const r of collectiveRows(config, layout, targets)) swept.set(r.bytes, r.timeUs);
  const eb = targets.mid.elemBytes;
  const group = [...Array(layout.units).keys()];
  return sizes.map((bytes) => {
    const hit = swept.get(bytes);
    if (hit !== undefined) return hit;
    const op: CollectiveOp = {
      kind: 'collective',
      id: 0,
      op: kKind[collective],
      algorithm: layout.collective,
      group,
      buf: 'O',
      off: 0,
      count: Math.max(1, Math.floor(bytes / eb)),
      label: collective,
      ...(collective === 'broadcast' ? { root: 0, src: { buf: 'V', off: 0 } } : {}),
    };
    return targets.mid.collective(op).us;
  });
}
