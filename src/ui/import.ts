// "Check it against your measurements": nccl-tests / rccl-tests output pasted or read from files, result JSON (the
// torch companion's, an exported run, a projection) and published sweeps, overlaid on the all-reduce bandwidth chart;
// per log series the link fitted by the CLI's own code (calibrateSeries), measured against the model on the fitted
// query, and a button that applies that query to the page. Input is bounded (files, bytes, series); nothing read is
// executed or becomes markup (every string goes through textContent); every failure is a message, never a throw.

import type { Config } from '../config/params.ts';
import { signed as signedCli, us as usCli } from '../calibrate/format.ts';
import { isFit } from '../calibrate/fit.ts';
import type { SeriesReport } from '../calibrate/index.ts';
import { kMaxInputChars, ParseError, parseLog, type Series } from '../calibrate/parse.ts';
import { kPublished, type PublishedSweep } from '../calibrate/published.ts';
import { parseResult } from '../engine/result-schema.ts';
import type { Result } from '../engine/result.ts';
import { clear, fmt, fmtBytes, h, pct, scrollTable } from './dom.ts';
import {
  boundForShare,
  describeResult,
  plain,
  seriesOfLog,
  seriesOfPublished,
  seriesOfResult,
  uniqueLabels,
  type ImportedSeries,
} from './imported.ts';
import { copyShareLink } from './share.ts';

/** Files read at once and series on the chart from imports together (a file's bytes: the parser's kMaxInputChars). */
const kMaxFiles = 20;
const kMaxOverlays = 12;

const kExtensions = /\.(log|txt|out|json)$/i;

export interface ImportHooks {
  /** The overlays changed: draw again. */
  changed(): void;
  /** Apply a query to the page (controls, URL, projection). */
  apply(query: string): void;
  config(): Config;
  projection(): Result | null;
}

interface Entry {
  id: number;
  /** Published sweeps by id, so one is not added twice. */
  key: string;
  series: ImportedSeries[];
}

/** As `npm run calibrate` prints them, with a dash where there is no number. */
const us = (x: number): string => (Number.isFinite(x) ? usCli(x) : '—');
const signed = (x: number): string => (Number.isFinite(x) ? signedCli(x) : '—');

export class ImportPanel {
  readonly el: HTMLElement;
  private readonly text: HTMLTextAreaElement;
  private readonly file: HTMLInputElement;
  private readonly drop: HTMLElement;
  private readonly published: HTMLSelectElement;
  private readonly alerts = h('div', { class: 'import-messages' });
  private readonly status = h('p', { class: 'import-status', role: 'status', 'aria-live': 'polite' });
  private readonly list = h('div', { class: 'import-list' });
  private readonly sharedBox = h('div', { class: 'import-shared', hidden: true });
  private readonly shareBtn: HTMLButtonElement;
  private readonly shareStatus = h('span', { class: 'copied', role: 'status' });
  private entries: Entry[] = [];
  private nextId = 1;
  private pasted = 0;
  private cache: ImportedSeries[] = [];
  private sharedSeries: ImportedSeries[] = [];

  constructor(private readonly hooks: ImportHooks) {
    this.text = h('textarea', {
      id: 'import-text',
      rows: 6,
      spellcheck: 'false',
      autocomplete: 'off',
      maxlength: kMaxInputChars,
      'aria-describedby': 'import-text-help',
    });
    const readBtn = h('button', { type: 'button', text: 'Read the pasted output' });
    readBtn.addEventListener('click', () => void this.guard(() => this.readPasted()));
    this.file = h('input', {
      type: 'file',
      id: 'import-file',
      multiple: true,
      accept: '.log,.txt,.out,.json,text/plain,application/json',
      'aria-describedby': 'import-file-help',
    });
    this.file.addEventListener('change', () => {
      const files = [...(this.file.files ?? [])];
      this.file.value = '';
      void this.guard(() => this.readFiles(files));
    });
    this.drop = h(
      'div',
      { class: 'dropzone' },
      h('label', { for: 'import-file', text: 'Logs or result JSON' }),
      h('p', {
        class: 'help',
        id: 'import-file-help',
        text: `.log, .txt or .out from nccl-tests or rccl-tests, or a wafer-bench result JSON (exported here, from npm run predict, or from tools/wafer_bench_torch.py); up to ${kMaxFiles} files of 10 MB each. Choose them, or drop them on this box.`,
      }),
      this.file,
    );
    this.drop.addEventListener('dragover', (e) => {
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
      this.drop.classList.add('dragover');
    });
    this.drop.addEventListener('dragleave', () => this.drop.classList.remove('dragover'));
    this.drop.addEventListener('drop', (e) => {
      e.preventDefault();
      this.drop.classList.remove('dragover');
      const files = [...(e.dataTransfer?.files ?? [])];
      void this.guard(() => this.readFiles(files));
    });
    this.published = h(
      'select',
      { id: 'import-published', 'aria-describedby': 'import-published-help' },
      h('option', { value: '', text: 'None' }),
      ...kPublished.map((p) => h('option', { value: p.id, text: p.title })),
    );
    this.published.addEventListener('change', () => void this.guard(() => this.addPublished(this.published.value)));
    this.shareBtn = h('button', { type: 'button', text: 'Copy link with these measurements', disabled: true });
    this.shareBtn.addEventListener('click', () => void this.guard(() => this.copyLink()));
    this.el = h(
      'section',
      { class: 'import', 'aria-labelledby': 'import-title' },
      h('h2', { id: 'import-title', tabindex: '-1', text: 'Check it against your measurements' }),
      h('p', {
        class: 'muted',
        text: 'Measured all-reduce sweeps are drawn on the bus bandwidth chart beside the model; for each nccl-tests series the link is fitted as npm run calibrate fits it, and the model on that link is set against every measured size. Nothing leaves this page.',
      }),
      h(
        'div',
        { class: 'import-inputs' },
        h(
          'div',
          { class: 'import-paste' },
          h('label', { for: 'import-text', text: 'nccl-tests or rccl-tests output' }),
          h('p', {
            class: 'help',
            id: 'import-text-help',
            text: 'Paste what all_reduce_perf (or all_gather_perf, reduce_scatter_perf, broadcast_perf) printed: the "# Rank" lines and the table.',
          }),
          this.text,
          h('div', { class: 'actions' }, readBtn),
        ),
        this.drop,
        h(
          'div',
          { class: 'import-published' },
          h('label', { for: 'import-published', text: 'Compare with a published sweep' }),
          h('p', {
            class: 'help',
            id: 'import-published-help',
            text: 'Public nccl-tests and rccl-tests all-reduce runs shipped with the page, each with its system, library and source.',
          }),
          this.published,
        ),
      ),
      this.alerts,
      this.status,
      h('div', { class: 'actions' }, this.shareBtn, this.shareStatus),
      this.sharedBox,
      this.list,
    );
  }

  /** The series on the chart: imports, published sweeps, and those a shared link carries (same array until they change). */
  overlays(): ImportedSeries[] {
    return this.cache;
  }

  /** The result a shared link carries: its measurements are listed and drawn with the others (the page redraws). */
  setShared(shared: Result): void {
    this.showShared(shared);
    this.recompute();
  }

  /** The result with the overlays on the chart, bounded, for a shared link (unchanged when there are none). */
  attach(r: Result): Result {
    const imported = boundForShare(this.cache);
    return imported.length ? { ...r, imported } : r;
  }

  private recompute(): void {
    const own = this.entries.flatMap((e) => e.series);
    this.cache = [
      ...own,
      ...uniqueLabels(
        this.sharedSeries,
        own.map((s) => s.label),
      ),
    ];
    this.shareBtn.disabled = this.cache.length === 0;
  }

  private update(): void {
    this.recompute();
    this.hooks.changed();
  }

  /** Runs an action with the messages cleared first; anything it throws becomes a message. */
  private async guard(fn: () => void | Promise<void>): Promise<void> {
    clear(this.alerts);
    try {
      await fn();
    } catch (e) {
      this.alert(`Could not read that: ${plain((e as Error)?.message ?? String(e), 300)}`);
    }
  }

  private alert(text: string): void {
    this.alerts.append(h('p', { class: 'error', role: 'alert', text }));
  }

  private note(text: string): void {
    this.alerts.append(h('p', { class: 'note', text }));
  }

  private async readPasted(): Promise<void> {
    const text = this.text.value;
    if (!text.trim()) {
      this.alert('Nothing is pasted: paste the output of all_reduce_perf (or another nccl-tests binary) first.');
      return;
    }
    this.pasted++;
    const added = await this.readText(this.pasted > 1 ? `pasted text ${this.pasted}` : 'pasted text', text);
    this.status.textContent = added ? `Read the pasted output: ${added}.` : 'Nothing from the pasted output was added.';
  }

  private async readFiles(files: File[]): Promise<void> {
    if (!files.length) return;
    const done: string[] = [];
    if (files.length > kMaxFiles)
      this.alert(`${files.length} files: at most ${kMaxFiles} are read at once; the first ${kMaxFiles} are read.`);
    for (const f of files.slice(0, kMaxFiles)) {
      const name = plain(f.name || 'file', 100);
      if (!kExtensions.test(f.name) && /\.[^./\\]{1,8}$/.test(f.name)) {
        this.alert(`${name}: not read; expected a .log, .txt or .out log or a .json result.`);
        continue;
      }
      if (f.size > kMaxInputChars) {
        this.alert(`${name}: ${f.size} bytes; at most ${kMaxInputChars} (10 MB) are read from a file.`);
        continue;
      }
      let text: string;
      try {
        text = await f.text();
      } catch (e) {
        this.alert(`${name}: cannot be read: ${plain((e as Error).message, 200)}`);
        continue;
      }
      const added = await this.readText(name, text);
      if (added) done.push(`${name}: ${added}`);
    }
    this.status.textContent = done.length ? `Read ${done.join('; ')}.` : 'Nothing from those files was added.';
  }

  /** Reads one text as a result JSON or a log; what was added, in words ('' for nothing). */
  private async readText(name: string, text: string): Promise<string> {
    if (/\.json$/i.test(name) || /^\s*\{/.test(text.slice(0, 1000))) return this.readResult(name, text);
    return this.readLog(name, text);
  }

  private room(n: number): boolean {
    const on = this.entries.reduce((s, e) => s + e.series.length, 0);
    if (on + n <= kMaxOverlays) return true;
    this.alert(`At most ${kMaxOverlays} series are drawn together: remove some below first.`);
    return false;
  }

  private async readLog(name: string, text: string): Promise<string> {
    if (text.length > kMaxInputChars) {
      this.alert(`${name}: ${text.length} characters; at most ${kMaxInputChars} (10 MB) are read.`);
      return '';
    }
    let series: Series[];
    try {
      series = parseLog(text, name);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.alert(`${name}, line ${e.line}: ${e.what}`);
      return '';
    }
    const drawn = series.filter((s) => s.collective === 'all_reduce');
    for (const s of series)
      if (s.collective !== 'all_reduce')
        this.note(`${name}, line ${s.line}: ${s.test} is fitted below but not drawn: the chart is all-reduce bus bandwidth.`);
    const fitted = series.filter((s) => isFit(s.collective));
    if (!drawn.length && !fitted.length) {
      this.alert(
        `${name}: no all-reduce, all-gather, reduce-scatter or broadcast table to draw or fit (${series.map((s) => s.test).join(', ')}).`,
      );
      return '';
    }
    if (!this.room(drawn.length)) return '';
    const calib = await this.calibrate(fitted);
    const overlay = uniqueLabels(
      drawn.map((s) => seriesOfLog(s)),
      this.cache.map((s) => s.label),
    );
    const box = h('article', { class: 'import-entry' });
    box.append(h('h3', { text: name === 'pasted text' || /^pasted text \d+$/.test(name) ? `Pasted output (${name})` : name }));
    for (const s of fitted) {
      const o = overlay[drawn.indexOf(s)];
      const rep = calib.reports.find((r) => r.file === s.file && r.line === s.line) ?? null;
      box.append(this.seriesBlock(s, o?.label ?? null, rep));
    }
    this.addEntry(name, overlay, box);
    return `${overlay.length} series drawn, ${calib.reports.length} link${calib.reports.length === 1 ? '' : 's'} fitted`;
  }

  /** The CLI's fit (loaded on first use: it brings the model with it); its FILE:LINE errors and notes as messages. */
  private async calibrate(series: Series[]): Promise<{ reports: SeriesReport[] }> {
    if (!series.length) return { reports: [] };
    const { calibrateSeries } = await import('../calibrate/index.ts');
    const out = calibrateSeries(series);
    for (const e of out.errors) this.alert(`Cannot fit ${plain(e, 400)}`);
    for (const n of out.notes) this.note(plain(n, 400));
    return out;
  }

  /** One series: what it is, the fitted link, the query and measured against the model per size. */
  private seriesBlock(s: Series, label: string | null, r: SeriesReport | null): HTMLElement {
    const block = h('div', { class: 'import-series' });
    const hosts = s.hosts.length;
    const sys = s.ranks
      ? `${s.ranks} ranks on ${hosts} node${hosts === 1 ? '' : 's'} (${plain(s.hosts.slice(0, 4).join(', '), 120)}${hosts > 4 ? ', …' : ''}), ${plain(s.deviceNames[0] ?? 'device not named', 80)}`
      : 'no "# Rank" lines: ranks and device unknown';
    block.append(
      h(
        'p',
        { class: 'import-what' },
        h('strong', { text: label ?? `${s.test} (not drawn)` }),
        h('br'),
        `${sys}; ${s.test}, ${s.rows.length} sizes, out-of-place times (line ${s.line}).`,
      ),
    );
    if (!r) return block;
    const f = r.fit;
    const fittedSizes = f.fittedFromBytes ? `≥ ${fmtBytes(f.fittedFromBytes)}` : 'all';
    block.append(
      scrollTable(
        `Fitted link: ${label ?? s.test}`,
        'import-fit',
        ['base (µs)', 'alpha (µs per step)', 'bandwidth (GB/s)', 'RMS error', 'max error', 'max error ≥ 1 MiB', 'sizes fitted'],
        [[us(f.baseUs), us(f.alphaUs), fmt(f.gbps, 4), pct(f.rmsError), pct(f.maxError), pct(f.maxErrorAbove1MiB), fittedSizes]],
      ),
    );
    if (r.query) {
      const query = r.query;
      const use = h('button', { type: 'button', class: 'primary', text: 'Use this link' });
      use.addEventListener('click', () => {
        this.hooks.apply(query);
        this.status.textContent = `The page now projects on the fitted link: ${query}`;
      });
      const href = `?${query}`;
      block.append(
        h(
          'div',
          { class: 'import-query' },
          h('span', { class: 'muted', text: 'Query: ' }),
          h('code', { text: query }),
          h('div', { class: 'actions' }, use, h('a', { href, text: 'Open the page on this link' })),
        ),
      );
    }
    block.append(
      h(
        'details',
        { class: 'import-notes' },
        h('summary', { text: 'Notes on the fit' }),
        h('ul', { class: 'notes' }, ...r.notes.map((n) => h('li', { text: plain(n, 600) }))),
      ),
    );
    block.append(
      h(
        'details',
        { class: 'import-sizes', open: true },
        h('summary', { text: `Measured against the model, size by size (${r.points.length} sizes)` }),
        scrollTable(
          `Measured against the model on the fitted link: ${label ?? s.test}`,
          'import-points',
          ['size', 'measured (µs)', 'model (µs)', 'error'],
          r.points.map((p) => [`${fmtBytes(p.bytes)}${p.fitted ? '' : ' (not fitted)'}`, us(p.measuredUs), us(p.modelUs), signed(p.error)]),
        ),
      ),
    );
    return block;
  }

  private readResult(name: string, text: string): string {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      this.alert(`${name}: not JSON (${plain((e as Error).message, 200)}); expected a wafer-bench result.`);
      return '';
    }
    let r: Result;
    try {
      r = parseResult(value);
    } catch (e) {
      this.alert(`${name}: not a wafer-bench result: ${plain((e as Error).message, 300)}`);
      return '';
    }
    const series = uniqueLabels(
      seriesOfResult(r, name).filter((s) => s.points.some((p) => p.bytes > 0 && p.busbw > 0)),
      this.cache.map((s) => s.label),
    );
    const d = describeResult(r);
    const rows = r.collectives.length;
    const what = `A wafer-bench result (version ${plain(r.version, 20)}, ${plain(r.startedAt, 40)}): ${d.what}; adapter ${d.adapter}; ${d.ranks ?? 'unknown'} ranks; ${rows} all-reduce row${rows === 1 ? '' : 's'}.`;
    if (!series.length) {
      this.alert(`${name}: ${what} It holds no all-reduce rows with a bus bandwidth, so there is nothing to draw.`);
      return '';
    }
    if (!this.room(series.length)) return '';
    const box = h(
      'article',
      { class: 'import-entry' },
      h('h3', { text: name }),
      h('p', { text: what }),
      h('ul', { class: 'notes' }, ...series.map((s) => h('li', { text: `${s.label}: ${s.points.length} sizes` }))),
    );
    this.addEntry(name, series, box);
    return `${series.length} series drawn`;
  }

  private async addPublished(id: string): Promise<void> {
    const p = kPublished.find((x) => x.id === id);
    if (!p) return;
    if (this.entries.some((e) => e.key === `published:${id}`)) {
      this.status.textContent = `${p.title} is already on the chart.`;
      return;
    }
    if (!this.room(1)) return;
    const s = seriesOfPublished(p);
    const [overlay] = uniqueLabels(
      [{ ...seriesOfLog(s, 'published'), label: `published: ${p.title}`, source: p.source }],
      this.cache.map((x) => x.label),
    );
    const calib = await this.calibrate([s]);
    const box = h('article', { class: 'import-entry' }, h('h3', { text: `Published: ${p.title}` }), publishedFacts(p));
    box.append(this.seriesBlock(s, overlay!.label, calib.reports[0] ?? null));
    this.addEntry(`published:${id}`, [overlay!], box);
    this.status.textContent = `Drawn: ${p.title}, ${p.points.length} sizes.`;
  }

  private addEntry(key: string, series: ImportedSeries[], box: HTMLElement): void {
    const id = this.nextId++;
    const title = box.querySelector('h3')?.textContent ?? key;
    const remove = h('button', { type: 'button', text: 'Remove', 'aria-label': `Remove ${title}` });
    remove.addEventListener('click', () => {
      this.entries = this.entries.filter((e) => e.id !== id);
      box.remove();
      if (key.startsWith('published:') && this.published.value === key.slice(10)) this.published.value = '';
      this.status.textContent = `Removed ${title}.`;
      this.update();
      this.el.querySelector<HTMLElement>('#import-title')?.focus();
    });
    box.querySelector('h3')!.after(h('div', { class: 'actions' }, remove));
    this.entries.push({ id, key, series });
    this.list.prepend(box);
    this.update();
  }

  private showShared(r: Result): void {
    this.sharedSeries = r.imported?.filter((s) => s.points.length) ?? [];
    clear(this.sharedBox);
    this.sharedBox.hidden = this.sharedSeries.length === 0;
    if (!this.sharedSeries.length) return;
    this.sharedBox.append(
      h('h3', { text: 'Measurements from the shared link' }),
      h(
        'ul',
        { class: 'notes' },
        ...this.sharedSeries.map((s) =>
          h('li', { text: `${s.label}: ${s.points.length} sizes${s.source ? `; source: ${s.source}` : ''}` }),
        ),
      ),
    );
  }

  private async copyLink(): Promise<void> {
    const p = this.hooks.projection();
    if (!p) {
      this.alert('The projection is not ready yet: try again in a moment.');
      return;
    }
    await copyShareLink(
      this.hooks.config(),
      this.attach(p),
      this.el,
      this.shareStatus,
      'Link with the projection and these measurements copied.',
    );
  }
}

function publishedFacts(p: PublishedSweep): HTMLElement {
  return h(
    'dl',
    { class: 'import-facts' },
    h('dt', { text: 'System' }),
    h('dd', { text: p.system }),
    h('dt', { text: 'Ranks' }),
    h('dd', { text: `${p.ranks} on ${p.hosts.length} node${p.hosts.length === 1 ? '' : 's'}, ${p.device}` }),
    h('dt', { text: 'Library' }),
    h('dd', { text: p.library }),
    h('dt', { text: 'Source' }),
    h('dd', {}, h('a', { href: p.source, rel: 'noopener noreferrer', text: p.source })),
  );
}
