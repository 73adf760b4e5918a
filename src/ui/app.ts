// The page: parses the URL, shows the device, runs benchmarks with progress and Stop, and publishes the
// automation hooks and embed messages of the contract.

import { parseQuery, toSearchParams, type Config, type Parsed } from '../config/params.ts';
import { runBenchmark, StoppedError } from '../engine/runner.ts';
import { liveWorkers } from '../engine/pool.ts';
import type { Result } from '../engine/result.ts';
import { emit, postToParent, setState, type RunOptions } from '../hooks.ts';
import { Charts } from './charts.ts';
import { Controls } from './controls.ts';
import { devicePanel, probeDevice } from './device-panel.ts';
import { clear, fmt, h, pct } from './dom.ts';
import { ResultsView } from './results.ts';
import { decodeShared, shareLink } from './share.ts';
import { validateEmbedMessage } from './embed.ts';

export class App {
  private parsed: Parsed;
  private controller: AbortController | null = null;
  private running: Promise<Result> | null = null;
  private result: Result | null = null;
  private shared: Result | null = null;
  private readonly embed: boolean;
  private readonly parentOrigin: string | null;
  private readonly messages = h('div', { class: 'messages', role: 'status', 'aria-live': 'polite' });
  private readonly progressBar = h('progress', { max: 1, value: 0, 'aria-label': 'Progress' });
  private readonly phase = h('span', { class: 'phase', text: 'Ready.' });
  private readonly runBtn = h('button', { type: 'button', class: 'primary', text: 'Run' });
  private readonly stopBtn = h('button', { type: 'button', text: 'Stop', disabled: true });
  private readonly summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  private readonly sharedBox = h('section', { class: 'shared', hidden: true, 'aria-label': 'Shared result' });
  private readonly deviceBox = h('section', { class: 'device', 'aria-label': 'Device' });
  private readonly controls: Controls;
  private readonly charts: Charts;
  private readonly results: ResultsView;
  private startedAt = 0;

  constructor(private readonly root: HTMLElement) {
    const url = new URL(location.href);
    this.parsed = parseQuery(url.search);
    this.embed = this.parsed.config.embed;
    const origin = url.searchParams.get('origin');
    this.parentOrigin = origin && /^https?:\/\/[^/]+$/.test(origin) ? origin : null;
    this.controls = new Controls(
      (q) => this.configure(q, true),
      (q) => this.configure(q, true),
    );
    this.charts = new Charts(this.embed);
    this.results = new ResultsView(
      () => this.result,
      () => this.parsed.config,
    );
    this.layout();
    this.runBtn.addEventListener('click', () => void this.start(this.controls.query()).catch(() => {}));
    this.stopBtn.addEventListener('click', () => this.stop());
    this.configure(url.search, false);
    window.addEventListener('message', (ev) => this.onMessage(ev));
    this.publishApi();
    void this.showDevice();
    void this.loadShared(url.hash);
  }

  private layout(): void {
    const bar = h('div', { class: 'runbar' }, this.runBtn, this.stopBtn, this.progressBar, this.phase);
    if (this.embed) {
      document.body.classList.add('embed');
      const full = new URL(location.href);
      full.searchParams.delete('embed');
      full.searchParams.delete('autorun');
      full.searchParams.delete('origin');
      const open = h('a', { href: full.toString(), target: '_blank', rel: 'noopener', text: 'Open full page ↗' });
      this.root.append(
        h('header', { class: 'embed-head' }, h('strong', { text: 'wafer-bench' }), bar, open),
        this.messages,
        this.summary,
        this.charts.el,
      );
      return;
    }
    const intro = h(
      'p',
      { class: 'intro' },
      'The same model-parallel work, run on your GPU two ways: as tiles on one wafer-scale device, and as shards of a cluster of devices. ',
      'Kernels are real WGSL; times are measured here, and the comparison is emulated from sourced hardware figures. ',
      h('a', { href: './docs.html', text: 'How to read this' }),
    );
    this.root.append(
      h('header', {}, h('h1', { text: 'wafer-bench' }), intro),
      this.messages,
      this.sharedBox,
      h(
        'div',
        { class: 'columns' },
        h('aside', {}, this.deviceBox, this.controls.el),
        h('main', {}, bar, this.summary, this.charts.el, this.results.el),
      ),
    );
  }

  /** Applies a query: parse, show problems, sync the form and (optionally) the URL. */
  private configure(query: string, updateUrl: boolean): void {
    this.parsed = parseQuery(query);
    this.controls.set(this.parsed.config);
    this.showProblems(this.parsed);
    if (updateUrl) {
      const url = new URL(location.href);
      url.search = toSearchParams(this.parsed.config).toString();
      url.hash = '';
      history.replaceState(null, '', url);
    }
  }

  private showProblems(p: Parsed): void {
    clear(this.messages);
    for (const e of p.errors) this.messages.append(h('p', { class: 'error', role: 'alert', 'data-param': e.param, text: e.message }));
    for (const n of p.notes) this.messages.append(h('p', { class: 'note', text: n }));
  }

  private message(kind: 'error' | 'note', text: string): void {
    this.messages.append(h('p', { class: kind, role: kind === 'error' ? 'alert' : undefined, text }));
  }

  private async showDevice(): Promise<void> {
    const info = await probeDevice();
    clear(this.deviceBox);
    this.deviceBox.append(devicePanel(info));
    if (!info.ok) {
      this.messages.append(
        h(
          'div',
          { class: 'no-webgpu', role: 'alert' },
          h('strong', { text: 'No WebGPU in this browser. ' }),
          `Why: ${info.why} `,
          'How to enable it: use a current Chrome or Edge (WebGPU is on by default on Windows, macOS and ChromeOS); on Linux start Chrome with --enable-unsafe-webgpu --enable-features=Vulkan; in Firefox Nightly or Safari Technology Preview turn WebGPU on in the settings. ',
          h('strong', { text: 'Meanwhile runs use the CPU backend' }),
          ' (TypeScript kernels in the same workers): the comparison works, and every figure is labeled as CPU.',
        ),
      );
    }
    setState('idle');
    emit('ready', { webgpu: info.ok });
    postToParent('ready', { webgpu: info.ok }, this.parentOrigin);
    if (this.parsed.config.autorun) void this.start(location.search).catch(() => {});
  }

  private publishApi(): void {
    const api = {
      run: (query?: string, options?: RunOptions) => this.start(query ?? location.search, options),
      stop: () => this.stop(),
      shareLink: (r?: Result | null) => shareLink(this.parsed.config, r ?? null),
    };
    Object.defineProperties(api, {
      result: { get: () => this.result, enumerable: true },
      workers: { get: () => liveWorkers, enumerable: true },
    });
    globalThis.waferBench = api as typeof globalThis.waferBench;
  }

  /** Starts a run of `query`; a run already going is stopped first. */
  async start(query: string, options: RunOptions = {}): Promise<Result> {
    if (this.running) {
      this.stop();
      await this.running.catch(() => {});
    }
    this.configure(query, !this.embed);
    const c = this.parsed.config;
    this.controller = new AbortController();
    const signal = this.controller.signal;
    this.setRunning(true);
    this.charts.reset(c, this.shared);
    this.results.clear();
    this.summary.textContent = '';
    this.startedAt = performance.now();
    let lastProgress = 0;
    const run = runBenchmark(c, {
      signal,
      kernels: options.kernels,
      corrupt: options.corrupt,
      fault: options.fault,
      isHidden: () => document.visibilityState === 'hidden',
      cache: {
        get: (k) => {
          try {
            return localStorage.getItem(k);
          } catch {
            return null;
          }
        },
        set: (k, v) => {
          try {
            localStorage.setItem(k, v);
          } catch {
            /* storage may be off (private mode, sandboxed frame) */
          }
        },
      },
      progress: (phase, fraction) => {
        this.progressBar.value = fraction;
        const elapsed = (performance.now() - this.startedAt) / 1000;
        const eta = fraction > 0.05 ? (elapsed / fraction) * (1 - fraction) : NaN;
        this.phase.textContent = `${phase} — ${Math.round(fraction * 100)}%${Number.isFinite(eta) ? `, about ${fmt(eta, 2)} s left` : ''}`;
        emit('progress', { phase, fraction });
        const t = performance.now();
        if (t - lastProgress > 250 || fraction >= 1) {
          lastProgress = t;
          postToParent('progress', { phase, fraction }, this.parentOrigin);
        }
      },
      iteration: (mode, i, it) => this.charts.iteration(mode, i, it),
      partial: (r) => this.charts.partial(r),
    });
    this.running = run;
    try {
      const result = await run;
      this.result = result;
      this.finish(result);
      const bad = result.runs.filter((r) => !r.verified && c.verify);
      setState(bad.length ? 'error' : 'done');
      if (bad.length) {
        const msg = `Verification failed: ${bad.map((r) => `${r.mode}: ${r.error ?? 'results do not match the CPU reference'}`).join('; ')}`;
        this.message('error', msg);
        emit('error', { message: msg });
      }
      emit('result', result);
      postToParent('result', { result }, this.parentOrigin);
      return result;
    } catch (e) {
      if (e instanceof StoppedError || signal.aborted) {
        setState('stopped');
        this.phase.textContent = 'Stopped.';
        throw new Error('stopped');
      }
      const message = (e as Error).message ?? String(e);
      this.message('error', message);
      this.phase.textContent = 'Failed.';
      setState('error');
      emit('error', { message });
      postToParent('error', { message }, this.parentOrigin);
      throw e;
    } finally {
      this.running = null;
      this.setRunning(false);
    }
  }

  stop(): void {
    this.controller?.abort();
  }

  private setRunning(on: boolean): void {
    if (on) setState('running');
    this.runBtn.disabled = on;
    this.stopBtn.disabled = !on;
    this.controls.setDisabled(on);
  }

  private finish(r: Result): void {
    this.progressBar.value = 1;
    this.phase.textContent = `Done in ${fmt((performance.now() - this.startedAt) / 1000, 3)} s.`;
    this.summary.textContent = summaryLine(r);
    this.charts.showResult(r);
    this.results.show(r);
  }

  private async loadShared(hash: string): Promise<void> {
    if (!hash.startsWith('#r=')) return;
    try {
      this.shared = await decodeShared(hash.slice(3));
    } catch (e) {
      this.message('error', `The shared result in this link cannot be read: ${(e as Error).message}`);
      return;
    }
    const r = this.shared;
    this.sharedBox.hidden = false;
    clear(this.sharedBox);
    const again = h('button', { type: 'button', class: 'primary', text: 'Run this configuration here and overlay' });
    again.addEventListener('click', () => void this.start(location.search).catch(() => {}));
    this.sharedBox.append(
      h('h2', { text: 'Shared result' }),
      h('p', {
        text: `Measured on ${r.env.adapter.description || r.env.adapter.vendor || 'an unknown adapter'} (${r.env.adapter.architecture || 'unknown architecture'}), ${new Date(r.startedAt).toLocaleString()}.`,
      }),
      h('p', { class: 'summary', text: summaryLine(r) }),
      again,
    );
    this.charts.reset(this.parsed.config, r);
    this.charts.showResult(r, true);
    this.results.show(r, 'Shared result');
  }

  private onMessage(ev: MessageEvent): void {
    const msg = validateEmbedMessage(ev.data, ev.origin, this.parentOrigin);
    if (!msg) return;
    if (msg.error) {
      this.message('error', `A run message was refused: ${msg.error}`);
      postToParent('error', { message: msg.error }, this.parentOrigin);
      return;
    }
    void this.start(msg.query ?? '').catch(() => {});
  }

  get config(): Config {
    return this.parsed.config;
  }
}

export function summaryLine(r: Result): string {
  const s = r.summary;
  if (r.config.workload === 'allreduce') {
    const last = (mode: string) => r.collectives.filter((x) => x.mode === mode).at(-1);
    const parts = ['wafer', 'cluster']
      .map((m) => last(m))
      .filter(Boolean)
      .map(
        (x) => `${x!.mode} ${x!.algorithm} over ${x!.devices}: busbw ${fmt(x!.busbw)} GB/s at ${x!.bytes} B (emulated), #wrong ${x!.wrong}`,
      );
    return parts.join(' · ');
  }
  const parts: string[] = [];
  if (s.waferGflops !== null)
    parts.push(`wafer (${s.waferUnits} tiles): ${fmt(s.waferGflops)} GFLOP/s, ${pct(s.waferCommFraction)} exposed comm`);
  if (s.clusterGflops !== null)
    parts.push(`cluster (${s.clusterUnits} shards): ${fmt(s.clusterGflops)} GFLOP/s, ${pct(s.clusterCommFraction)} exposed comm`);
  if (s.speedup !== null) parts.push(`wafer/cluster ${fmt(s.speedup)}×`);
  const ok = r.runs.every((x) => x.verified);
  const cpu = r.env.backend === 'cpu' ? 'CPU backend (no WebGPU) — ' : '';
  return `${cpu}${parts.join(' · ')} — emulated throughput; ${ok ? 'all verified' : 'NOT verified'}`;
}
