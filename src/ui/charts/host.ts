// Hosts the charts on the page: a figure per chart that applies, updated in place (d3 joins inside each chart) at
// most once per animation frame (and no more than a frame's budget of drawing per frame), sized to its container's
// width in CSS pixels.

import { h } from '../dom.ts';
import { frameOf, ranHere, writeTable, type ChartInput } from './chart.ts';
import { kCharts } from './index.ts';

/**
 * Drawing per animation frame, ms: the style, layout and paint that follow it take about as long again, and the
 * frame's task must stay well under 50 ms on a slow or busy machine.
 */
const kFrameBudgetMs = 6;

export class ChartHost {
  readonly el: HTMLElement;
  private readonly figures = new Map<string, HTMLElement>();
  /** What each chart last drew from: unchanged inputs are not drawn again. */
  private readonly drawn = new Map<string, unknown[]>();
  private pending = false;
  private input: ChartInput | null = null;
  private readonly tools: HTMLElement;
  private readonly timelineSelect: HTMLSelectElement;
  /** Each figure's width as its ResizeObserver last saw it (CSS pixels). */
  private readonly widths = new WeakMap<Element, number>();
  private sizes: ResizeObserver | null = null;
  /** The figures in the order they were last put on the page. */
  private order: HTMLElement[] = [];

  constructor(
    private readonly compact: boolean,
    onTimeline: (view: ChartInput['timeline']) => void,
  ) {
    this.el = h('section', { class: 'charts', 'aria-label': 'Charts' });
    this.timelineSelect = h(
      'select',
      { id: 'timeline-view' },
      h('option', { value: 'target', text: 'On the target hardware' }),
      h('option', { value: 'emulated', text: 'Your GPU as the unit (this run)' }),
      h('option', { value: 'measured', text: 'Measured here (workers sharing this GPU)' }),
    );
    this.timelineSelect.addEventListener('change', () => onTimeline(this.timelineSelect.value as ChartInput['timeline']));
    this.tools = h(
      'div',
      { class: 'chart-tools', hidden: true },
      h('label', { for: 'timeline-view', text: 'Timelines: ' }),
      this.timelineSelect,
    );
    this.el.append(this.tools);
    if (typeof ResizeObserver !== 'undefined')
      this.sizes = new ResizeObserver((entries) => {
        // Layout is up to date here: reading a width costs nothing, where draw reading it would force a layout.
        for (const e of entries) this.widths.set(e.target, (e.target as HTMLElement).clientWidth);
        this.schedule();
      });
  }

  update(input: ChartInput): void {
    this.input = input;
    this.schedule();
  }

  private schedule(): void {
    if (this.pending || !this.input) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      // Charts left over when the frame's budget is spent are drawn in the next frame, so no task runs long.
      if (!this.draw(kFrameBudgetMs)) this.schedule();
    });
  }

  /** Draws now (tests and snapshots call this directly); with a budget (ms), stops after the chart that spends it. */
  draw(budgetMs = Infinity): boolean {
    const t0 = performance.now();
    const input = this.input;
    if (!input) return true;
    const local = Boolean(input.result?.runs.some(ranHere));
    const hidden = this.compact || !local;
    if (this.tools.hidden !== hidden) this.tools.hidden = hidden;
    if (this.timelineSelect.value !== input.timeline) this.timelineSelect.value = input.timeline;
    const showing = kCharts.filter((spec) => (!this.compact || spec.compact) && spec.applies(input));
    for (const [id, fig] of this.figures)
      if (!showing.some((s) => s.id === id)) {
        fig.remove();
        this.sizes?.unobserve(fig);
        this.figures.delete(id);
        this.drawn.delete(id);
      }
    for (const spec of showing)
      if (!this.figures.has(spec.id)) {
        const fig = h('figure', { class: 'chart', 'data-chart': spec.id });
        this.figures.set(spec.id, fig);
        this.sizes?.observe(fig);
      }
    // The registry's order; figures move only when it changes (moving one would drop the focus inside it).
    const want = showing.map((s) => this.figures.get(s.id)!);
    const have = this.order;
    if (want.length !== have.length || want.some((f, k) => have[k] !== f)) {
      this.el.append(...want);
      this.order = want;
    }
    // Widths as last observed; a figure not yet observed is measured, in one layout read for all, before any drawing.
    const widths = showing.map((spec) => {
      const fig = this.figures.get(spec.id)!;
      return Math.max(280, Math.floor(this.widths.get(fig) || fig.clientWidth || this.el.clientWidth / (this.compact ? 1 : 2) || 640));
    });
    for (const [k, spec] of showing.entries()) {
      if (performance.now() - t0 > budgetMs) return false;
      const fig = this.figures.get(spec.id)!;
      const width = Math.min(widths[k]!, 900);
      const key = [
        // A new projection brings new runs; only the chart that draws decode's batch curve is redrawn when it arrives.
        spec.curve ? input.projection : input.projection?.runs,
        input.result,
        input.result?.runs.length,
        input.result?.collectives.length,
        input.shared,
        // Only the chart that draws the run's iterations is redrawn as they arrive.
        spec.live ? input.live : null,
        spec.live ? input.live.length : 0,
        input.imported,
        input.timeline,
        width,
      ];
      const last = this.drawn.get(spec.id);
      if (last && last.length === key.length && last.every((x, i) => x === key[i])) continue;
      this.drawn.set(spec.id, key);
      const frame = frameOf(fig, spec, input, width);
      writeTable(frame, spec.render(frame, input));
    }
    return true;
  }
}
