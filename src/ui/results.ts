// The results table (the charts' text alternative), and export: JSON, CSV, and links with or without the result.

import type { Config } from '../config/params.ts';
import type { Result } from '../engine/result.ts';
import { clear, fmt, fmtBytes, h, pct } from './dom.ts';
import { shareLink } from './share.ts';

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
  readonly el = h('section', { class: 'results', 'aria-label': 'Results' });
  private readonly body = h('div');
  private readonly status = h('span', { class: 'copied', role: 'status' });

  constructor(
    private readonly current: () => Result | null,
    private readonly config: () => Config,
  ) {
    const btn = (text: string, fn: () => void | Promise<void>) => {
      const b = h('button', { type: 'button', text });
      b.addEventListener('click', () => void fn());
      return b;
    };
    const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');
    const actions = h(
      'div',
      { class: 'actions' },
      btn('Export JSON', () => {
        const r = this.current();
        if (r) download(`wafer-bench-${stamp()}.json`, 'application/json', JSON.stringify(r, null, 2));
      }),
      btn('Export CSV', () => {
        const r = this.current();
        if (r) download(`wafer-bench-${stamp()}.csv`, 'text/csv', toCsv(r));
      }),
      btn('Copy link', () => this.copy(false)),
      btn('Copy link with result', () => this.copy(true)),
      this.status,
    );
    this.el.append(h('h2', { text: 'Results' }), actions, this.body);
  }

  private async copy(withResult: boolean): Promise<void> {
    const url = await shareLink(this.config(), withResult ? this.current() : null);
    try {
      await navigator.clipboard.writeText(url);
      this.status.textContent = 'Link copied.';
    } catch {
      this.status.textContent = `Copy this link: ${url}`;
    }
    this.el.dataset.link = url;
  }

  clear(): void {
    clear(this.body);
  }

  show(r: Result, caption = 'This run'): void {
    const table = h(
      'table',
      { class: 'runs' },
      h('caption', { text: `${caption}: per mode (emulated throughput; measured wall time beside it)` }),
    );
    const head = [
      'Mode',
      'Units',
      'Strategy',
      'GFLOP/s median (p10–p90)',
      'Emulated step ms (this adapter’s speed)',
      'On the target (µs)',
      'Measured step ms',
      'Exposed comm',
      'Bytes sent / unit / step',
      'Verified',
    ];
    table.append(h('thead', {}, h('tr', {}, ...head.map((t) => h('th', { scope: 'col', text: t })))));
    const tb = h('tbody');
    for (const x of r.runs) {
      tb.append(
        h(
          'tr',
          {},
          h('td', { text: x.mode }),
          h('td', { text: `${x.units}${x.tiles ? ` (${x.tiles})` : ''}` }),
          h('td', { text: `${x.strategy}${x.units > 1 ? `, ${x.collective}` : ''}, ${x.link}` }),
          h('td', { text: x.flops ? `${fmt(x.gflops.median)} (${fmt(x.gflops.p10)}–${fmt(x.gflops.p90)})` : '—' }),
          h('td', { text: fmt(x.emulatedStepMs.median) }),
          h('td', { text: x.targetStepUs === null ? 'measured links' : fmt(x.targetStepUs) }),
          h('td', { text: fmt(x.stepMs.median) }),
          h('td', { text: `${fmt(x.exposedCommMs)} ms (${pct(x.commFraction)})` }),
          h('td', { text: fmtBytes(x.commBytes) }),
          h('td', { class: x.verified ? 'ok' : 'bad', text: x.verified ? `yes (max err ${fmt(x.maxAbsErr, 2)})` : 'NO' }),
        ),
      );
    }
    table.append(tb);
    this.body.append(table);
    if (r.collectives.length) {
      const ct = h(
        'table',
        { class: 'collectives' },
        h('caption', { text: 'All-reduce (nccl-tests columns; time is emulated, measured wall time beside it; GB/s decimal)' }),
      );
      const cols = ['mode', 'algorithm', 'devices', 'size(B)', 'count', 'time(us)', 'algbw(GB/s)', 'busbw(GB/s)', '#wrong', 'measured(us)'];
      ct.append(h('thead', {}, h('tr', {}, ...cols.map((t) => h('th', { scope: 'col', text: t })))));
      const body = h('tbody');
      for (const c of r.collectives) {
        body.append(
          h(
            'tr',
            {},
            ...[
              c.mode,
              c.algorithm,
              c.devices,
              c.bytes,
              c.count,
              fmt(c.timeUs, 4),
              fmt(c.algbw, 4),
              fmt(c.busbw, 4),
              c.wrong,
              fmt(c.measuredTimeUs, 4),
            ].map((v) => h('td', { text: String(v) })),
          ),
        );
      }
      ct.append(body);
      this.body.append(ct);
    }
    if (r.kernels?.length) {
      const kt = h('table', { class: 'kernels' }, h('caption', { text: 'Matmul variants on this adapter' }));
      kt.append(
        h('thead', {}, h('tr', {}, ...['variant', 'shape', 'GFLOP/s median', 'p10', 'p90'].map((t) => h('th', { scope: 'col', text: t })))),
      );
      const body = h('tbody');
      for (const k of r.kernels)
        body.append(
          h(
            'tr',
            {},
            ...[k.key, `${k.m}x${k.n}x${k.k}`, fmt(k.gflops.median), fmt(k.gflops.p10), fmt(k.gflops.p90)].map((v) =>
              h('td', { text: String(v) }),
            ),
          ),
        );
      kt.append(body);
      this.body.append(kt);
    }
    const notes = [
      ...r.runs.map(
        (x) =>
          `${x.mode}: ${x.describe}; ${x.emulation}.${x.linkModel ? ` Model: ${x.linkModel.label} (${fmt(x.linkModel.gbps)} GB/s per direction, ${fmt(x.linkModel.alphaUs)} µs; time scale ${fmt(x.linkModel.scale)}×). Source: ${x.linkModel.source}` : ''}`,
      ),
      ...r.notes,
    ];
    notes.push(
      `Kernel keys: ${[...new Set(r.runs.flatMap((x) => x.kernelKeys))].join(', ') || '—'}. Autotune ranking (best first): ${r.autotune.ranking.slice(0, 3).join(', ')}${r.autotune.cached ? ' (cached)' : ''}; local matmul rate ${fmt(r.localGflops)} GFLOP/s.`,
    );
    this.body.append(h('ul', { class: 'notes' }, ...notes.map((n) => h('li', { text: n }))));
  }
}
