// Text tables for the CLI: runs side by side, nccl-tests style collectives, and matmul variants against naive.

import type { Result } from '../engine/result.ts';

const f = (x: number | null | undefined, d = 3): string => {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return x.toExponential(d - 1);
  return x.toFixed(a >= 100 ? 1 : a >= 1 ? 2 : 4);
};

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

export function formatResult(r: Result): string {
  let out = `# wafer-bench ${r.version} on ${r.env.adapter.description || r.env.adapter.vendor || 'unknown adapter'} (${r.env.adapter.architecture || '-'}), transport ${r.env.transport}, ${r.env.crossOriginIsolated ? 'isolated' : 'not isolated'}\n`;
  out += `# local matmul rate ${f(r.localGflops)} GFLOP/s (autotune best: ${r.autotune.ranking[0] ?? '-'}${r.autotune.cached ? ', cached' : ''})\n`;
  if (r.kernels?.length) {
    const naive = r.kernels.find((k) => k.name === 'naive')?.gflops.median ?? NaN;
    out += '\n# matmul variants (GFLOP/s after warm-up; ratio = median / naive median)\n';
    out += table(
      ['variant', 'shape', 'median', 'p10', 'p90', 'vs naive', 'timer'],
      r.kernels.map((k) => [
        k.key,
        `${k.m}x${k.n}x${k.k}`,
        f(k.gflops.median),
        f(k.gflops.p10),
        f(k.gflops.p90),
        `${f(k.gflops.median / naive)}x`,
        k.source,
      ]),
    );
  }
  if (r.collectives.length) {
    out += '\n# all-reduce, nccl-tests columns (time: emulated mean per op on the target link, or replayed from measured transfers;\n';
    out += '# measured: wall time of workers sharing this GPU, and the busbw it gives; vs ceiling: measured busbw / ceiling busbw)\n';
    const c = r.ceiling;
    out += table(
      [
        'mode',
        'algorithm',
        'devices',
        'size(B)',
        'count',
        'type',
        'redop',
        'time(us)',
        'algbw(GB/s)',
        'busbw(GB/s)',
        '#wrong',
        'measured(us)',
        'meas busbw',
        'vs ceiling',
      ],
      r.collectives.map((x) => [
        x.mode,
        x.algorithm,
        String(x.devices),
        String(x.bytes),
        String(x.count),
        'float',
        'sum',
        f(x.timeUs),
        f(x.algbw),
        f(x.busbw),
        String(x.wrong),
        f(x.measuredTimeUs),
        f(x.measuredBusbw),
        c && x.mode === 'cluster' && x.bytes === c.bytes ? `${f(x.measuredBusbw / c.busbw)}x` : '-',
      ]),
    );
    if (c) {
      out += `ceiling  ${c.workers} workers on one device at ${c.bytes} B: readback ${f(c.downGBs)} GB/s, upload ${f(c.upGBs)} GB/s, reduction ${f(c.addGBs)} GB/s`;
      out += ` -> ring busbw <= 2 / (W (2/down + 2/up + 1/add)) = ${f(c.busbw)} GB/s\n`;
    }
  }
  if (r.runs.length && r.config.workload !== 'allreduce') {
    out +=
      "\n# runs (GFLOP/s, emul ms: emulated at this adapter's speed; target us: that step on the target system; meas ms: wall time here, not cluster throughput)\n";
    out += table(
      [
        'mode',
        'layout',
        'units',
        'link',
        'verified',
        'GFLOP/s',
        'p10',
        'p90',
        'emul ms',
        'target us',
        'meas ms',
        'exposed ms',
        'comm %',
        'bytes/unit/step',
      ],
      r.runs.map((x) => [
        x.mode,
        `${x.strategy}${x.units > 1 ? `/${x.collective}` : ''}${x.tiles ? ` ${x.tiles}` : ''}`,
        String(x.units),
        x.link,
        x.verified ? 'yes' : 'NO',
        f(x.gflops.median),
        f(x.gflops.p10),
        f(x.gflops.p90),
        f(x.emulatedStepMs.median),
        f(x.targetStepUs),
        f(x.stepMs.median),
        f(x.exposedCommMs),
        f(x.commFraction * 100),
        String(x.commBytes),
      ]),
    );
    const s = r.summary;
    for (const x of r.runs.filter((y) => y.units === 1 && y.iterations.length)) {
      // With one unit and no communication the emulated step is the kernels timed alone just before the step.
      const ratios = x.iterations
        .filter((it) => !it.hidden)
        .map((it) => it.emulatedStepMs / it.stepMs)
        .sort((a, b) => a - b);
      const mid = ratios[ratios.length >> 1] ?? NaN;
      out += `\nharness: ${x.mode} with 1 unit runs at ${f(mid * 100)}% of single-device throughput (median over steps of kernels-alone time / measured step time)\n`;
    }
    if (s.speedup !== null)
      out += `\nwafer (${s.waferUnits} tiles) vs cluster (${s.clusterUnits} shards): ${f(s.speedup)}x emulated throughput; exposed communication ${f((s.waferCommFraction ?? 0) * 100)}% vs ${f((s.clusterCommFraction ?? 0) * 100)}% of the step\n`;
  }
  if (r.scaling?.length) {
    out += '\n# scaling (emulated GFLOP/s)\n';
    out += table(
      ['units', '', 'wafer', 'cluster'],
      r.scaling.map((s) => [String(s.units), '', f(s.waferGflops), f(s.clusterGflops)]),
    );
  }
  for (const x of r.runs)
    if (x.linkModel)
      out += `# ${x.mode} model: ${x.linkModel.label}, ${f(x.linkModel.gbps)} GB/s per direction, ${f(x.linkModel.alphaUs)} us, time scale ${f(x.linkModel.scale)}x\n`;
  for (const n of r.notes) out += `# note: ${n}\n`;
  return out;
}
