// The results table (the charts' text alternative), and export: JSON, CSV, and links with or without the result.

import type { Config } from '../config/params.ts';
import type { Result } from '../engine/result.ts';
import { clear, fmt, fmtTime, h, pct, scrollTable } from './dom.ts';
import { copyShareLink } from './share.ts';

/** Rows of the results as CSV (one row per run, then one per collective size). */
export function toCsv(r: Result): string {
  const esc = (v: unknown) => {
    const s = String(v ?? '');
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [
    [
      'mode',
      'workload',
      'units',
      'strategy',
      'collective',
      'link',
      'target_step_us',
      'target_band_low_us',
      'target_band_high_us',
      'target_tflops',
      'target_mfu',
      'target_exposed_comm_us',
      'target_joules',
      'verified',
      'gflops_median',
      'gflops_p10',
      'gflops_p90',
      'emulated_step_ms',
      'measured_step_ms',
      'exposed_comm_ms',
      'comm_fraction',
      'comm_bytes',
    ].join(','),
  ];
  for (const x of r.runs) {
    lines.push(
      [
        x.mode,
        x.workload,
        x.units,
        x.strategy,
        x.collective,
        x.link,
        x.target?.stepUs,
        x.target?.band.lowUs,
        x.target?.band.highUs,
        x.target?.tflops,
        x.target?.mfu,
        x.target?.exposedCommUs,
        x.target?.joules,
        x.verified,
        x.gflops.median,
        x.gflops.p10,
        x.gflops.p90,
        x.emulatedStepMs.median,
        x.stepMs.median,
        x.exposedCommMs,
        x.commFraction,
        x.commBytes,
      ]
        .map(esc)
        .join(','),
    );
  }
  if (r.collectives.length) {
    lines.push('');
    lines.push(
      ['mode', 'algorithm', 'devices', 'bytes', 'count', 'time_us', 'algbw_GBps', 'busbw_GBps', 'wrong', 'measured_time_us'].join(','),
    );
    for (const c of r.collectives)
      lines.push(
        [c.mode, c.algorithm, c.devices, c.bytes, c.count, c.timeUs, c.algbw, c.busbw, c.wrong, c.measuredTimeUs].map(esc).join(','),
      );
  }
  return lines.join('\n') + '\n';
}

function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export class ResultsView {
  readonly el = h('section', { class: 'results', 'aria-labelledby': 'results-title' });
  private readonly body = h('div');
  private readonly status = h('span', { class: 'copied', role: 'status' });
  private readonly buttons: HTMLButtonElement[] = [];

  constructor(
    private readonly current: () => Result | null,
    private readonly config: () => Config,
    /** What a link with the result carries besides it (the imported measurements). */
    private readonly forLink: (r: Result) => Result = (r) => r,
  ) {
    const btn = (text: string, fn: () => void | Promise<void>, needsResult: boolean) => {
      const b = h('button', { type: 'button', text, disabled: needsResult });
      b.addEventListener('click', () => void fn());
      if (needsResult) this.buttons.push(b);
      return b;
    };
    const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');
    const actions = h(
      'div',
      { class: 'actions' },
      btn(
        'Export JSON',
        () => {
          const r = this.current();
          if (r) download(`wafer-bench-${stamp()}.json`, 'application/json', JSON.stringify(r, null, 2));
        },
        true,
      ),
      btn(
        'Export CSV',
        () => {
          const r = this.current();
          if (r) download(`wafer-bench-${stamp()}.csv`, 'text/csv', toCsv(r));
        },
        true,
      ),
      btn(
        'Export trace',
        async () => {
          const r = this.current();
          if (r)
            download(
              `wafer-bench-${stamp()}.trace.json`,
              'application/json',
              JSON.stringify((await import('../engine/trace.ts')).toTrace(r)),
            );
        },
        true,
      ),
      btn('Copy link', () => this.copy(false), false),
      btn('Copy link with result', () => this.copy(true), true),
      this.status,
    );
    this.el.append(h('h2', { id: 'results-title', text: 'Results' }), actions, this.body);
  }

  private async copy(withResult: boolean): Promise<void> {
    const r = withResult ? this.current() : null;
    await copyShareLink(
      this.config(),
      r ? this.forLink(r) : null,
      this.el,
      this.status,
      withResult ? 'Link with the result copied.' : 'Link copied.',
    );
  }

  clear(): void {
    clear(this.body);
    this.refresh();
  }

  /** Enables the exports once there is something to export. */
  refresh(): void {
    for (const b of this.buttons) b.disabled = this.current() === null;
  }

  show(r: Result, caption = 'This run'): void {
    this.refresh();
    const runs = r.runs.map((x) => {
      const t = x.target;
      return h(
        'tr',
        {},
        h('th', { scope: 'row', text: x.mode }),
        h('td', { text: `${x.units}${x.tiles ? ` (${x.tiles})` : ''}` }),
        h('td', { text: `${x.strategy}${x.units > 1 ? `, ${x.collective}` : ''}, ${x.link}` }),
        h('td', { text: t ? `${fmtTime(t.stepUs)} (${fmtTime(t.band.lowUs)} – ${fmtTime(t.band.highUs)})` : '—' }),
        h('td', { text: t && x.flops ? fmt(t.tflops) : '—' }),
        h('td', { text: t && x.flops ? pct(t.mfu) : '—' }),
        h('td', { text: t ? `${fmtTime(t.exposedCommUs)} (${pct(t.stepUs > 0 ? t.exposedCommUs / t.stepUs : 0)})` : '—' }),
        h('td', { text: t ? fmt(t.joules) : '—' }),
        h('td', { text: x.iterations.length ? `${fmt(x.emulatedStepMs.median)} (${pct(x.commFraction)} exposed)` : '—' }),
        h('td', { text: x.iterations.length ? fmt(x.stepMs.median) : '—' }),
        h('td', {
          class: x.verified ? 'ok' : x.iterations.length ? 'bad' : '',
          text: x.verified ? `yes (max err ${fmt(x.maxAbsErr, 2)})` : x.iterations.length ? 'NO' : 'not run',
        }),
      );
    });
    this.body.append(
      scrollTable(
        `${caption}: on the target hardware first; then your GPU as the unit, and the wall time measured here`,
        'runs',
        [
          'Side',
          'Units',
          'Layout',
          'Target step (band)',
          'TFLOP/s',
          'MFU',
          'Exposed comm',
          'J per step',
          'Your GPU as the unit, ms',
          'Measured here, ms',
          'Verified',
        ],
        runs,
      ),
    );
    if (r.collectives.length)
      this.body.append(
        scrollTable(
          'All-reduce, nccl-tests columns: time, algbw and busbw on the target (decimal GB/s); measured here beside them',
          'collectives',
          [
            'mode',
            'algorithm',
            'devices',
            'size (B)',
            'count',
            'time (µs)',
            'band (µs)',
            'algbw (GB/s)',
            'busbw (GB/s)',
            'protocol',
            '#wrong',
            'measured here (µs)',
          ],
          r.collectives.map((c) =>
            [
              c.mode,
              c.algorithm,
              c.devices,
              c.bytes,
              c.count,
              fmt(c.timeUs, 4),
              c.band ? `${fmt(c.band.lowUs)}–${fmt(c.band.highUs)}` : '—',
              fmt(c.algbw, 4),
              fmt(c.busbw, 4),
              c.protocol ?? '—',
              Number.isFinite(c.wrong) ? c.wrong : '—',
              fmt(c.measuredTimeUs, 4),
            ].map(String),
          ),
        ),
      );
    if (r.kernels?.length)
      this.body.append(
        scrollTable(
          'Matmul variants on this adapter',
          'kernels',
          ['variant', 'shape', 'GFLOP/s median', 'p10', 'p90'],
          r.kernels.map((k) => [k.key, `${k.m}x${k.n}x${k.k}`, fmt(k.gflops.median), fmt(k.gflops.p10), fmt(k.gflops.p90)]),
        ),
      );
    const notes = [
      ...r.runs.map(
        (x) =>
          `${x.mode}: ${x.describe}; ${x.emulation}.${x.target ? ` Target: ${x.target.describe}. ${x.target.assumptions.join('; ')}.` : ''}`,
      ),
      ...r.notes,
    ];
    if (!r.projection)
      notes.push(
        `Kernel keys: ${[...new Set(r.runs.flatMap((x) => x.kernelKeys))].join(', ') || '—'}. Autotune ranking (best first): ${r.autotune.ranking.slice(0, 3).join(', ')}${r.autotune.cached ? ' (cached)' : ''}; local matmul rate ${fmt(r.localGflops)} GFLOP/s.`,
      );
    this.body.append(h('ul', { class: 'notes' }, ...notes.map((n) => h('li', { text: n }))));
  }
}
