// Text tables for the CLI, led by the projection on the target hardware: each side's step time with its band,
// TFLOP/s, MFU, exposed communication and energy, and the wafer/cluster ratio under its `equal` rule. Then, for a
// local run, "your GPU as the unit" and the measured wall time, labelled; nccl-tests style collectives; matmul
// variants against naive.

import { stepsPerToken, type Result, type RunRecord } from '../engine/result.ts';
import { reportedFor } from '../workloads/llm/reported.ts';

const f = (x: number | null | undefined, d = 3): string => {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return x.toExponential(d - 1);
  return x.toFixed(a >= 100 ? 1 : a >= 1 ? 2 : 4);
};
const pct = (x: number | null | undefined): string =>
  x === null || x === undefined || !Number.isFinite(x)
    ? '-'
    : x !== 0 && Math.abs(x) < 1e-3
      ? `${f(x * 100)}%`
      : `${(x * 100).toFixed(1)}%`;
const bytes = (b: number): string =>
  b >= 1e9 ? `${f(b / 1e9)} GB` : b >= 1e6 ? `${f(b / 1e6)} MB` : b >= 1e3 ? `${f(b / 1e3)} kB` : `${b} B`;

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

const layoutOf = (x: RunRecord): string =>
  `${x.strategy}${x.units > 1 && x.strategy !== 'rows' ? `/${x.collective}` : ''}${x.tiles ? ` ${x.tiles}` : ''}`;

function targetTable(r: Result): string {
  const runs = r.runs.filter((x) => x.target);
  if (!runs.length) return '';
  let out =
    '\n# target (headline): one step on the target hardware; band = the fast and slow ends of the figures; exposed comm = step − step with communication free\n';
  out += table(
    ['side', 'layout', 'units', 'step us', 'band us', 'TFLOP/s', 'MFU', 'exposed comm', 'comm us', 'J/step', 'memory/unit', 'fits'],
    runs.map((x) => {
      const t = x.target!;
      return [
        x.mode,
        layoutOf(x),
        String(x.units),
        f(t.stepUs),
        `${f(t.band.lowUs)}–${f(t.band.highUs)}`,
        f(t.tflops),
        pct(t.mfu),
        `${f(t.exposedCommUs)} (${pct(t.stepUs > 0 ? t.exposedCommUs / t.stepUs : 0)})`,
        f(t.commUs),
        f(t.joules),
        `${bytes(t.memoryBytes)} of ${bytes(t.memoryCapacityBytes)}`,
        t.fits ? 'yes' : 'NO',
      ];
    }),
  );
  const s = r.summary.target;
  if (s?.speedup !== null && s?.speedup !== undefined) {
    const band = s.speedupBand ? ` (band ${f(s.speedupBand.low)}–${f(s.speedupBand.high)}×)` : '';
    out += `\nwafer vs cluster (cluster step ÷ wafer step): ${f(s.speedup)}×${band}; energy per step, cluster ÷ wafer: ${f(s.energyRatio)}×\n`;
    out += `compared by equal=${s.equal}: wafer ${s.waferUnits} tiles, cluster ${s.clusterUnits} units\n`;
  }
  if (s?.baselines && (s.baselines.gpuUs !== null || s.baselines.waferUs !== null))
    out += `baselines: one GPU ${f(s.baselines.gpuUs)} us; the whole wafer as one tile ${f(s.baselines.waferUs)} us\n`;
  for (const x of runs) {
    const t = x.target!;
    out += `# ${x.mode}: ${t.describe}; peak ${f(t.peakTflops)} TFLOP/s dense, ${f(t.watts)} W${t.protocols.length ? `; NCCL protocols ${t.protocols.join(', ')}` : ''}\n`;
    for (const a of t.assumptions) out += `#   ${a}\n`;
  }
  return out;
}

/**
 * A decode or prefill run's band per token, ms: the step's band over the tokens one sequence gets from the step (one
 * in decode, its prompt in prefill), as msPerToken is.
 */
function tokenBand(run: RunRecord): { lowMs: number; highMs: number } {
  const { stepUs, band } = run.target!;
  const ms = run.llm!.msPerToken;
  const per = stepsPerToken(stepUs, ms);
  return { lowMs: band.lowUs / 1e3 / per, highMs: band.highUs / 1e3 / per };
}

function llmTables(r: Result): string {
  const runs = r.runs.filter((x) => x.llm && x.target);
  if (!runs.length) return '';
  const cfg = r.config as Record<string, unknown>;
  const decode = cfg.workload === 'decode';
  let out = `\n# ${cfg.workload} of ${cfg.model}, batch ${cfg.batch}, ${decode ? `context ${cfg.context}` : `prompt ${cfg.prompt}`}: per ${decode ? 'output token' : 'prompt token'} on the target; band from the figures' ends\n`;
  out += table(
    [
      'side',
      'layout',
      'units',
      'ms/token',
      'band ms',
      'tok/s/user',
      'tok/s',
      'TTFT ms',
      'tok/J',
      'weights',
      'KV cache',
      'fits',
      'fewest that fit',
    ],
    runs.map((x) => {
      const l = x.llm!;
      const b = tokenBand(x);
      return [
        x.mode,
        layoutOf(x),
        String(x.units),
        f(l.msPerToken),
        `${f(b.lowMs)}–${f(b.highMs)}`,
        f(l.tokensPerSecondPerUser),
        f(l.tokensPerSecond),
        f(l.ttftMs),
        f(l.tokensPerJoule),
        `${f(l.weightsGB)} GB`,
        `${f(l.kvGB)} GB`,
        l.fits ? 'yes' : 'NO',
        Number.isFinite(l.minUnitsToFit) ? `${l.minUnitsToFit} ${x.mode === 'wafer' ? 'wafers' : 'GPUs'}` : 'none',
      ];
    }),
  );
  out += '\n# where a step goes on the busiest unit, µs: weights and cache read, compute, launches and fills, communication, waiting\n';
  out += table(
    ['side', '', 'weights', 'compute', 'launch/fill', 'comm', 'wait'],
    runs
      .filter((x) => x.llm!.split)
      .map((x) => {
        const s = x.llm!.split!;
        return [x.mode, '', f(s.weightsUs), f(s.computeUs), f(s.launchUs), f(s.commUs), f(s.waitUs)];
      }),
  );
  if (r.llmCurve?.length) {
    out += '\n# decode against batch: tok/s per user [band] (total tok/s); * = does not fit the memory at that batch\n';
    const side = (s: NonNullable<Result['llmCurve']>[number]['wafer']) =>
      s ? `${f(s.tokensPerSecondPerUser)} [${f(s.lowPerUser)}–${f(s.highPerUser)}] (${f(s.tokensPerSecond)})${s.fits ? '' : ' *'}` : '-';
    out += table(
      ['batch', '', 'wafer', 'cluster'],
      r.llmCurve.map((p) => [String(p.batch), '', side(p.wafer), side(p.cluster)]),
    );
  }
  const reported = reportedFor(String(cfg.model));
  if (reported.length) {
    out += '\n# vendor-reported decode speeds for this model (reference points, not fitted; see each source)\n';
    out += table(
      ['side', 'system', 'batch', 'tok/s/user', 'TTFT ms', 'note'],
      reported.map((p) => [
        p.side,
        p.system,
        String(p.batch),
        f(p.tokensPerSecondPerUser),
        p.ttftMs === undefined ? '-' : f(p.ttftMs),
        `${p.note}${p.secondary ? ' [secondary]' : ''}`,
      ]),
    );
  }
  return out;
}

function localTable(r: Result): string {
  const runs = r.runs.filter((x) => x.iterations.length);
  if (!runs.length || r.config.workload === 'allreduce') return '';
  let out =
    "\n# your GPU as the unit (emulated: kernels timed alone here, transfers at the target's balance, or as measured here for a scaled-down instance) and measured (wall time of workers sharing this GPU; not cluster throughput)\n";
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
      'meas ms',
      'exposed ms',
      'exposed %',
      'bytes/unit/step',
    ],
    runs.map((x) => [
      x.mode,
      layoutOf(x),
      String(x.units),
      x.link,
      x.verified ? 'yes' : 'NO',
      f(x.gflops.median),
      f(x.gflops.p10),
      f(x.gflops.p90),
      f(x.emulatedStepMs.median),
      f(x.stepMs.median),
      f(x.exposedCommMs),
      f(x.commFraction * 100),
      String(x.commBytes),
    ]),
  );
  for (const x of runs.filter((y) => y.units === 1)) {
    // With one unit and no communication the emulated step is the kernels timed alone just before the step.
    const ratios = x.iterations
      .filter((it) => !it.hidden)
      .map((it) => it.emulatedStepMs / it.stepMs)
      .sort((a, b) => a - b);
    const mid = ratios[ratios.length >> 1] ?? NaN;
    out += `harness: ${x.mode} with 1 unit runs at ${f(mid * 100)}% of single-device throughput (median over steps of kernels-alone time / measured step time)\n`;
  }
  for (const x of r.runs)
    if (x.linkModel)
      out += `# ${x.mode} your-GPU view: ${x.linkModel.label}, time scale ${f(x.linkModel.scale)}x (target peak / this adapter's rate)\n`;
  return out;
}

function collectiveTable(r: Result): string {
  if (!r.collectives.length) return '';
  const c = r.ceiling;
  const local = r.collectives.some((x) => Number.isFinite(x.measuredTimeUs));
  let out = '\n# all-reduce, nccl-tests columns; time, algbw and busbw on the target (band: fast–slow end of the figures)';
  out += local
    ? ';\n# measured: wall time of workers sharing this GPU, and the busbw it gives; vs ceiling: measured busbw / ceiling busbw\n'
    : '\n';
  const head = [
    'mode',
    'algorithm',
    'devices',
    'size(B)',
    'count',
    'type',
    'redop',
    'time(us)',
    'band(us)',
    'algbw(GB/s)',
    'busbw(GB/s)',
    'proto',
    '#wrong',
  ];
  if (local) head.push('measured(us)', 'meas busbw', 'vs ceiling');
  out += table(
    head,
    r.collectives.map((x) => {
      const row = [
        x.mode,
        x.algorithm,
        String(x.devices),
        String(x.bytes),
        String(x.count),
        String(r.config.precision ?? 'float'),
        'sum',
        f(x.timeUs),
        x.band ? `${f(x.band.lowUs)}–${f(x.band.highUs)}` : '-',
        f(x.algbw),
        f(x.busbw),
        x.protocol ?? '-',
        Number.isFinite(x.wrong) ? String(x.wrong) : '-',
      ];
      if (local)
        row.push(
          f(x.measuredTimeUs),
          f(x.measuredBusbw),
          c && x.mode === 'cluster' && x.bytes === c.bytes ? `${f(x.measuredBusbw / c.busbw)}x` : '-',
        );
      return row;
    }),
  );
  if (c) {
    out += `ceiling  ${c.workers} workers on one device at ${c.bytes} B: readback ${f(c.downGBs)} GB/s, upload ${f(c.upGBs)} GB/s, reduction ${f(c.addGBs)} GB/s`;
    out += ` -> ring busbw <= 2 / (W (2/down + 2/up + 1/add)) = ${f(c.busbw)} GB/s\n`;
  }
  return out;
}

function sweepTables(r: Result): string {
  let out = '';
  if (r.sizeSweep?.length) {
    out += '\n# size sweep on the target (step us [band], MFU, exposed communication share)\n';
    const side = (s: NonNullable<Result['sizeSweep']>[number]['wafer']) =>
      s ? [`${f(s.stepUs)} [${f(s.lowUs)}–${f(s.highUs)}]`, pct(s.mfu), pct(s.exposedShare)] : ['-', '-', '-'];
    out += table(
      ['size', '', 'wafer us', 'wafer MFU', 'wafer exposed', 'cluster us', 'cluster MFU', 'cluster exposed', 'cluster/wafer'],
      r.sizeSweep.map((p) => [
        String(p.size),
        '',
        ...side(p.wafer),
        ...side(p.cluster),
        p.wafer && p.cluster ? `${f(p.cluster.stepUs / p.wafer.stepUs)}x` : '-',
      ]),
    );
  }
  if (r.scaling?.length) {
    out += '\n# scaling over unit counts (target step us; emulated GFLOP/s where it ran here)\n';
    out += table(
      ['units', '', 'wafer us', 'cluster us', 'wafer GFLOP/s', 'cluster GFLOP/s'],
      r.scaling.map((s) => [String(s.units), '', f(s.waferUs), f(s.clusterUs), f(s.waferGflops), f(s.clusterGflops)]),
    );
  }
  return out;
}

function kernelTable(r: Result): string {
  if (!r.kernels?.length) return '';
  const naive = r.kernels.find((k) => k.name === 'naive')?.gflops.median ?? NaN;
  let out = '\n# matmul variants on this adapter (GFLOP/s after warm-up; ratio = median / naive median)\n';
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
  return out;
}

export function formatResult(r: Result): string {
  const cfg = r.config as Record<string, unknown>;
  let out = r.projection
    ? `# wafer-bench ${r.version}: projection onto the target hardware (nothing ran here)\n`
    : `# wafer-bench ${r.version} on ${r.env.adapter.description || r.env.adapter.vendor || 'unknown adapter'} (${r.env.adapter.architecture || '-'}), transport ${r.env.transport}, ${r.env.crossOriginIsolated ? 'isolated' : 'not isolated'}\n`;
  out += `# ${cfg.workload}, precision ${cfg.precision}, output ${cfg.output}, mode ${cfg.mode}${cfg.mode === 'compare' ? `, equal=${cfg.equal}` : ''}\n`;
  if (!r.projection)
    out += `# local matmul rate ${f(r.localGflops)} GFLOP/s (autotune best: ${r.autotune.ranking[0] ?? '-'}${r.autotune.cached ? ', cached' : ''})\n`;
  out += targetTable(r);
  out += llmTables(r);
  out += collectiveTable(r);
  out += sweepTables(r);
  out += localTable(r);
  out += kernelTable(r);
  for (const n of r.notes) out += `# note: ${n}\n`;
  return out;
}
