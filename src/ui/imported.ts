// Imported measurements as chart series: from parsed nccl-tests / rccl-tests series, from a result JSON (the torch
// companion's, an exported run, a projection) and from the published sweeps; and bounded for a shared link. Pure:
// no DOM, every string plain text (control and bidirectional-override characters replaced, lengths capped).

import { isFit, shapeOf, type FitCollective } from '../calibrate/fit.ts';
import { clean, type Series } from '../calibrate/parse.ts';
import type { PublishedSweep } from '../calibrate/published.ts';
import { kMaxImportedLabel, kMaxImportedPoints, kMaxImportedSeries, kMaxImportedSource } from '../engine/result-schema.ts';
import type { ImportedSeries, Result } from '../engine/result.ts';

export type { ImportedSeries } from '../engine/result.ts';
export type ImportedPoint = ImportedSeries['points'][number];

/** Plain text of at most `max` characters: control and reordering characters replaced, an ellipsis where cut. */
export function plain(s: string, max: number): string {
  const t = clean(String(s));
  return t.length > max ? t.slice(0, Math.max(0, max - 1)) + '…' : t;
}

/** At most `max` items, spread evenly over the list, the first and the last kept. */
export function thin<T>(xs: readonly T[], max: number): T[] {
  if (xs.length <= max) return [...xs];
  if (max <= 1) return xs.slice(0, max);
  return Array.from({ length: max }, (_, i) => xs[Math.round((i * (xs.length - 1)) / (max - 1))]!);
}

const usable = (p: ImportedPoint): boolean =>
  Number.isFinite(p.bytes) && Number.isFinite(p.timeUs) && Number.isFinite(p.busbw) && p.bytes > 0 && p.busbw > 0;

/**
 * What a shared link may carry: at most kMaxImportedSeries series of at most kMaxImportedPoints points (thinned
 * evenly, the smallest and largest size kept), finite positive points only, labels and sources cut to their caps.
 */
export function boundForShare(series: readonly ImportedSeries[]): ImportedSeries[] {
  return series
    .map((s) => ({
      label: plain(s.label, kMaxImportedLabel),
      ...(s.source ? { source: plain(s.source, kMaxImportedSource) } : {}),
      points: thin(s.points.filter(usable), kMaxImportedPoints).map((p) => ({ bytes: p.bytes, timeUs: p.timeUs, busbw: p.busbw })),
    }))
    .filter((s) => s.points.length > 0)
    .slice(0, kMaxImportedSeries);
}

/** A short name for a device as nccl-tests prints it: "NVIDIA H100 80GB HBM3" → "H100". */
export function shortDevice(name: string): string {
  const m = /\b(GB200|GB300|B200|B300|B100|H200|H100|H800|H20|A100|A800|L40S|MI355X|MI325X|MI300X|MI300A|MI250X|MI250)\b/i.exec(name);
  return m ? m[1]!.toUpperCase() : plain(name.trim(), 40);
}

/** nccl-tests' busbw from time: algbw = bytes / time (decimal GB/s) times the collective's bus factor. */
export function busbwOf(collective: FitCollective, ranks: number, bytes: number, timeUs: number): number {
  return (bytes / (timeUs * 1e3)) * shapeOf(collective, ranks).factor;
}

/** "8 × H100", "32 × H100 on 4 nodes", or "" when the log lists no ranks. */
function who(ranks: number, nodes: number, device: string): string {
  if (ranks < 1) return '';
  const d = device ? shortDevice(device) : 'GPUs';
  return `${ranks} × ${d}${nodes > 1 ? ` on ${nodes} nodes` : ''}`;
}

/**
 * A parsed series as a chart series. busbw is recomputed from the time when the ranks are known, as nccl-tests
 * computes it (the printed column is rounded to 0.01 GB/s, so small sizes would print 0); otherwise as printed.
 */
export function seriesOfLog(s: Series, prefix = 'imported'): ImportedSeries {
  const c = isFit(s.collective) ? s.collective : null;
  const points = s.rows.map((r) => {
    const m = r.outOfPlace;
    const busbw = c && s.ranks >= 2 && m.timeUs > 0 ? busbwOf(c, s.ranks, r.bytes, m.timeUs) : m.busbw;
    return { bytes: r.bytes, timeUs: m.timeUs, busbw };
  });
  const sys = who(s.ranks, s.hosts.length, s.deviceNames[0] ?? '');
  return {
    label: plain(`${prefix}: ${sys ? `${sys}, ` : ''}${s.test} (out-of-place)`, kMaxImportedLabel),
    source: plain(`${s.file}, line ${s.line}`, kMaxImportedSource),
    points,
  };
}

/** A published sweep as the parser's series, so it is drawn and fitted exactly as an imported log is. */
export function seriesOfPublished(p: PublishedSweep): Series {
  return {
    file: p.file,
    line: p.line,
    test: p.test,
    collective: p.collective,
    collectiveFrom: 'banner',
    header: {},
    devices: [],
    ranks: p.ranks,
    hosts: [...p.hosts],
    deviceNames: [p.device],
    rows: p.points.map((x, i) => ({
      line: p.line + i,
      bytes: x.bytes,
      count: 0,
      type: 'float',
      redop: 'sum',
      root: -1,
      outOfPlace: { timeUs: x.timeUs, algbw: NaN, busbw: x.busbw, wrong: 0 },
      inPlace: null,
    })),
    avgBusBw: null,
  };
}

/** What a result is, in words: how it was made, on what, by how many ranks. */
export function describeResult(r: Result): { what: string; adapter: string; ranks: number | null } {
  const a = r.env.adapter;
  const adapter = plain([a.architecture, a.description].filter(Boolean).join(', ') || a.vendor || 'unknown adapter', 200);
  const transport = plain(r.env.transport || '', 40);
  const what = r.projection
    ? 'a projection of the model (nothing ran)'
    : r.env.backend === 'torch'
      ? `measured on a cluster with torch.distributed (${transport || 'backend not named'})`
      : r.env.backend === 'cpu'
        ? 'run in a browser on the CPU backend (workers sharing one machine)'
        : 'run in a browser with WebGPU (workers sharing one GPU)';
  const devices = r.collectives.map((c) => c.devices).filter((d) => Number.isInteger(d) && d > 0);
  const shards = Number(r.config.shards);
  const ranks = devices.length ? Math.max(...devices) : Number.isInteger(shards) && shards > 0 ? shards : null;
  return { what, adapter, ranks };
}

/**
 * A result's all-reduce rows as chart series, one per side: measured busbw where the rows have it (the torch
 * companion, a run here), the model's otherwise (a projection); plus any imported series the result carries.
 */
export function seriesOfResult(r: Result, name: string): ImportedSeries[] {
  const out: ImportedSeries[] = [];
  const file = plain(name, 80);
  const d = describeResult(r);
  for (const mode of ['cluster', 'wafer'] as const) {
    const rows = r.collectives.filter((c) => c.mode === mode);
    if (!rows.length) continue;
    const measured = rows.some((c) => Number.isFinite(c.measuredBusbw) && c.measuredBusbw > 0);
    const points = rows.map((c) =>
      measured
        ? { bytes: c.bytes, timeUs: c.measuredTimeUs, busbw: c.measuredBusbw }
        : { bytes: c.bytes, timeUs: c.timeUs, busbw: c.busbw },
    );
    const units = Math.max(...rows.map((c) => c.devices));
    const how = r.env.backend === 'torch' ? `torch ${plain(r.env.transport, 20)}` : r.projection ? 'model' : `${r.env.backend} here`;
    out.push({
      label: plain(
        `imported: ${file}, ${mode} ${units} ${mode === 'wafer' ? 'tiles' : 'ranks'} (${how}${measured ? ', measured' : ''})`,
        kMaxImportedLabel,
      ),
      source: plain(`${name}: ${d.what}; ${d.adapter}`, kMaxImportedSource),
      points,
    });
  }
  for (const s of r.imported ?? []) out.push({ ...s, label: plain(s.label, kMaxImportedLabel) });
  return out;
}

/** Labels made unique against those already taken (the chart groups its points by label). */
export function uniqueLabels(series: ImportedSeries[], taken: Iterable<string>): ImportedSeries[] {
  const used = new Set(taken);
  return series.map((s) => {
    let label = s.label;
    for (let i = 2; used.has(label); i++) label = `${plain(s.label, kMaxImportedLabel - 5)} (${i})`;
    used.add(label);
    return label === s.label ? s : { ...s, label };
  });
}
