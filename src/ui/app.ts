// The page: the answer for the configuration the controls show (the live projection, first), the controls, the
// charts, and a local verified run with progress and Stop; the automation hooks and embed messages of the contract.

import { parseQuery, toSearchParams, type Config, type Parsed } from '../config/params.ts';
import { runBenchmark, StoppedError } from '../engine/runner.ts';
import { liveWorkers } from '../engine/pool.ts';
import type { Result } from '../engine/result.ts';
import { emit, postToParent, setState, type RunOptions } from '../hooks.ts';
import { renderAnswer, verdict } from './answer.ts';
import { ChartHost } from './charts/host.ts';
import { ranHere, type ChartInput } from './charts/chart.ts';
import { Controls } from './controls.ts';
import { devicePanel, probeDevice } from './device-panel.ts';
import { ImportPanel } from './import.ts';
import { afterFrame, clear, fmt, fmtTime, h, nextTask, pct, setAttr } from './dom.ts';
import { LiveProjection, type ProjectionState } from './projection.ts';
import { ResultsView } from './results.ts';
import { decodeShared, shareLink } from './share.ts';
import { validateEmbedMessage } from './embed.ts';

export class App {
  private parsed: Parsed;
  private controller: AbortController | null = null;
  private running: Promise<Result> | null = null;
  /** Calls of start so far: a start that sees a later one begun gives way to it. */
  private starts = 0;
  private result: Result | null = null;
  private shared: Result | null = null;
  private live: ChartInput['live'] = [];
  private timeline: ChartInput['timeline'] = 'target';
  private readonly embed: boolean;
  private readonly parentOrigin: string | null;
  private readonly messages = h('div', { class: 'messages', role: 'status', 'aria-live': 'polite' });
  private readonly answer = h('section', { class: 'answer', 'aria-labelledby': 'answer-title', 'aria-live': 'polite' });
  private readonly progressBar = h('progress', { max: 1, value: 0, 'aria-label': 'Progress of the local run' });
  private readonly phase = h('span', { class: 'phase', text: 'Not run yet.' });
  private readonly runBtn = h('button', { type: 'button', class: 'primary', id: 'run', text: 'Run' });
  private readonly stopBtn = h('button', { type: 'button', text: 'Stop', disabled: true });
  private readonly blocked = h('p', { class: 'blocked error', id: 'run-blocked', hidden: true });
  private readonly summary = h('p', { class: 'summary', role: 'status', 'aria-live': 'polite' });
  private readonly sharedBox = h('section', { class: 'shared', hidden: true, 'aria-label': 'Shared result' });
  private readonly deviceBox = h('div', { class: 'device' });
  private readonly deviceDetails = h('details', { class: 'device-details' }, h('summary', { text: 'This machine' }), this.deviceBox);
  private readonly controls: Controls;
  private readonly charts: ChartHost;
  private readonly results: ResultsView;
  private readonly projection: LiveProjection;
  /** Measurements to check the model against (absent in the embed layout). */
  private readonly importer: ImportPanel | null;
  private startedAt = 0;

  constructor(private readonly root: HTMLElement) {
    const url = new URL(location.href);
    this.parsed = parseQuery(url.search);
    this.embed = this.parsed.config.embed;
    const origin = url.searchParams.get('origin');
    this.parentOrigin = origin && /^https?:\/\/[^/]+$/.test(origin) ? origin : null;
    this.controls = new Controls(
      (q) => this.configure(q, true, false),
      (q) => this.configure(q, true),
    );
    this.charts = new ChartHost(this.embed, (view) => {
      this.timeline = view;
      this.redraw();
    });
    this.importer = this.embed
      ? null
      : new ImportPanel({
          changed: () => this.redraw(),
          apply: (q) => this.configure(q, true),
          config: () => this.parsed.config,
          projection: () => this.projection.result,
        });
    this.results = new ResultsView(
      () => this.result,
      () => this.parsed.config,
      (r) => this.importer?.attach(r) ?? r,
    );
    this.projection = new LiveProjection((s, curveOnly) => this.onProjection(s, curveOnly));
    this.layout();
    this.runBtn.addEventListener('click', () => void this.start(this.currentQuery()).catch(() => {}));
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
      for (const k of ['embed', 'autorun', 'origin']) full.searchParams.delete(k);
      const open = h('a', { href: full.toString(), target: '_blank', rel: 'noopener', text: 'Open the full page ↗' });
      this.root.append(
        h('header', { class: 'embed-head' }, h('strong', { text: 'wafer-bench' }), bar, open),
        this.messages,
        this.answer,
        this.summary,
        this.charts.el,
      );
      return;
    }
    const skip = h('a', { class: 'skip-link', href: '#run', text: 'Skip to Run' });
    skip.addEventListener('click', (e) => {
      e.preventDefault();
      this.runBtn.focus();
    });
    const intro = h(
      'p',
      { class: 'intro' },
      'For the same model-parallel work, how long does a step take, and how much of it goes to moving data, on a wafer-scale chip versus a GPU cluster? ',
      'The answer below is projected from sourced hardware figures for what the controls say; Run then executes the same program here with real WebGPU kernels and verifies it. ',
      h('a', { href: './docs.html', text: 'How to read this' }),
    );
    const local = h(
      'section',
      { class: 'local', 'aria-labelledby': 'local-title' },
      h('h2', { id: 'local-title', text: 'Run it here' }),
      h('p', {
        class: 'muted',
        text: 'Runs the same program on this machine’s GPU (workers sharing one device), verifies every result against a CPU reference, and shows it with your GPU as the unit. Measured wall time is shown beside it, never as cluster speed.',
      }),
      bar,
      this.blocked,
      this.summary,
      this.deviceDetails,
    );
    this.root.append(
      skip,
      h('header', {}, h('h1', { text: 'wafer-bench' }), intro),
      this.messages,
      this.sharedBox,
      h(
        'div',
        { class: 'layout' },
        this.answer,
        h('aside', {}, this.controls.el),
        h('main', {}, this.charts.el, local, this.importer!.el, this.results.el),
      ),
    );
  }

  /** The query the controls describe (their valid fields). */
  private currentQuery(): string {
    return this.controls.query();
  }

  /** Applies a query: parse, show problems, sync the form, project, and (optionally) the URL. */
  private configure(query: string, updateUrl: boolean, fromOutside = true): void {
    if (fromOutside) this.controls.reset();
    this.parsed = parseQuery(query);
    this.controls.set(this.parsed.config);
    this.showProblems(this.parsed);
    this.checkRunnable();
    const search = toSearchParams(this.parsed.config).toString();
    if (updateUrl) {
      const url = new URL(location.href);
      url.search = search;
      url.hash = '';
      history.replaceState(null, '', url);
    }
    void this.projection.update(search);
  }

  /** Run waits until every field holds a value it can use, and says why. */
  private checkRunnable(): void {
    const bad = [...this.controls.problems.values()];
    this.blocked.hidden = bad.length === 0;
    this.blocked.textContent = bad.length ? `Run is blocked until the marked fields are fixed: ${bad.join('; ')}` : '';
    if (!this.running) this.runBtn.disabled = bad.length > 0;
    setAttr(this.runBtn, 'aria-describedby', bad.length ? 'run-blocked' : null);
  }

  /** A new projection; `curveOnly` when it only adds decode's batch curve, which the (spoken) answer does not show. */
  private onProjection(s: ProjectionState, curveOnly: boolean): void {
    if (!curveOnly) renderAnswer(this.answer, s.result, s.error);
    this.redraw();
    emit('projection', s.result);
  }

  private redraw(): void {
    this.charts.update({
      projection: this.projection.result,
      result: this.result,
      shared: this.shared,
      live: this.live,
      imported: this.importer?.overlays() ?? [],
      timeline: this.timeline,
    });
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
    // Open where there is something to act on: no WebGPU, or a page that is not cross-origin isolated.
    this.deviceDetails.open = !info.ok || globalThis.crossOriginIsolated !== true;
    if (!info.ok) {
      this.messages.append(
        h(
          'div',
          { class: 'no-webgpu', role: 'alert' },
          h('strong', { text: 'No WebGPU in this browser. ' }),
          `Why: ${info.why} `,
          'How to enable it: use a current Chrome or Edge (WebGPU is on by default on Windows, macOS and ChromeOS); on Linux start Chrome with --enable-unsafe-webgpu --enable-features=Vulkan; in Firefox Nightly or Safari Technology Preview turn WebGPU on in the settings. ',
          h('strong', { text: 'The projection works without it, and local runs use the CPU backend' }),
          ' (TypeScript kernels in the same workers): every local figure is labeled as CPU.',
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
      projection: { get: () => this.projection.result, enumerable: true },
      workers: { get: () => liveWorkers, enumerable: true },
    });
    globalThis.waferBench = api as typeof globalThis.waferBench;
  }

  /** Starts a run of `query`; a run already going is stopped first. */
  async start(query: string, options: RunOptions = {}): Promise<Result> {
    const ticket = ++this.starts;
    if (this.running) {
      this.stop();
      await this.running.catch(() => {});
    }
    // The last run's end, this run's set-up and its planning each run as a task of their own, so none runs long;
    // a start called meanwhile supersedes this one.
    await nextTask();
    if (ticket !== this.starts) throw new Error('stopped');
    this.configure(query, !this.embed);
    const c = this.parsed.config;
    this.controller = new AbortController();
    const signal = this.controller.signal;
    const hadFocus = document.activeElement === this.runBtn;
    this.setRunning(true);
    // Focus follows Run to Stop (Run, disabled, loses it) once the frame is drawn: moving it now would force a layout.
    if (hadFocus) afterFrame(() => this.refocus(this.runBtn, this.stopBtn));
    this.result = null;
    this.live = [];
    this.results.clear();
    this.summary.textContent = '';
    this.redraw();
    await nextTask();
    if (ticket !== this.starts) throw new Error('stopped');
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
      iteration: (mode, i, it) => {
        this.live.push({ mode, i, gflops: it.gflops, hidden: it.hidden });
        this.redraw();
      },
      partial: (r) => {
        if (r.runs) this.result = r;
        this.redraw();
      },
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
        this.summary.textContent = 'The run was stopped; every worker is ended.';
        throw new Error('stopped');
      }
      const message = (e as Error).message ?? String(e);
      this.message('error', message);
      this.phase.textContent = 'Failed.';
      this.summary.textContent = `The run failed: ${message}`;
      setState('error');
      emit('error', { message });
      postToParent('error', { message }, this.parentOrigin);
      throw e;
    } finally {
      this.running = null;
      // The result's table and charts are laid out in a task of their own, not with the controls coming back.
      await nextTask();
      if (ticket === this.starts) {
        this.setRunning(false);
        afterFrame(() => this.refocus(this.stopBtn, this.runBtn));
      }
    }
  }

  stop(): void {
    this.controller?.abort();
  }

  /** Moves the focus from `from` (now disabled) to `to`, unless it went somewhere else meanwhile. */
  private refocus(from: HTMLButtonElement, to: HTMLButtonElement): void {
    const at = document.activeElement;
    if (!to.disabled && (at === from || at === document.body || at === null)) to.focus({ preventScroll: true });
  }

  private setRunning(on: boolean): void {
    if (on) setState('running');
    // A focused button that is disabled makes the browser lay the page out at once to move the focus; blurred
    // first, it does not (refocus moves the focus on once the frame is drawn).
    const button = on ? this.runBtn : this.stopBtn;
    if (document.activeElement === button) button.blur();
    this.runBtn.disabled = on;
    this.stopBtn.disabled = !on;
    this.controls.setDisabled(on);
    if (!on) this.checkRunnable();
  }

  private finish(r: Result): void {
    this.progressBar.value = 1;
    this.phase.textContent = `Done in ${fmt((performance.now() - this.startedAt) / 1000, 3)} s.`;
    this.summary.textContent = summaryLine(r);
    this.results.show(r);
    this.redraw();
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
    this.importer?.setShared(r);
    this.sharedBox.hidden = false;
    clear(this.sharedBox);
    const again = h('button', { type: 'button', class: 'primary', text: 'Run this configuration here and overlay' });
    again.addEventListener('click', () => void this.start(location.search).catch(() => {}));
    const where = r.projection
      ? 'A projection (nothing ran)'
      : `Measured on ${r.env.adapter.description || r.env.adapter.vendor || 'an unknown adapter'} (${r.env.adapter.architecture || 'unknown architecture'})`;
    this.sharedBox.append(
      h('h2', { text: 'Shared result' }),
      h('p', { text: `${where}, ${new Date(r.startedAt).toLocaleString()}.` }),
      h('p', { class: 'summary', text: summaryLine(r) }),
      again,
    );
    this.results.show(r, 'Shared result');
    this.redraw();
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

/** One line for a finished result: the target answer, then what ran here. */
export function summaryLine(r: Result): string {
  const parts = [verdict(r)];
  if (r.config.workload === 'allreduce') {
    const last = (mode: string) => r.collectives.filter((x) => x.mode === mode).at(-1);
    for (const x of ['wafer', 'cluster'].map(last).filter(Boolean))
      parts.push(
        `${x!.mode} ${x!.algorithm} over ${x!.devices} at ${x!.bytes} B: ${fmtTime(x!.timeUs)} on the target${Number.isFinite(x!.wrong) ? `, #wrong ${x!.wrong} here` : ''}`,
      );
  } else if (!r.projection) {
    for (const x of r.runs)
      parts.push(
        `${x.mode} (${x.units} ${x.mode === 'wafer' ? 'tiles' : 'GPUs'}) here: ${fmt(x.gflops.median)} GFLOP/s with your GPU as the unit, ${pct(x.commFraction)} exposed communication`,
      );
  }
  const ran = r.runs.some(ranHere);
  const ok = r.runs.every((x) => x.verified);
  const cpu = r.env.backend === 'cpu' ? 'CPU backend (no WebGPU) — ' : '';
  return `${cpu}${parts.join(' · ')}${ran ? ` — ${ok ? 'all verified' : 'NOT verified'}` : ''}`;
}
