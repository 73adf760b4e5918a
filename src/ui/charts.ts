// Live d3 charts: throughput per iteration, step time split, the per-device Gantt timeline, all-reduce bandwidth
// against message size, and scaling over unit counts. Redraws are batched to animation frames.

import * as d3 from 'd3';
import type { Config } from '../config/params.ts';
import type { Result, RunRecord, TimelineEvent } from '../engine/result.ts';
import { fmt, fmtBytes, h } from './dom.ts';

const kW = 640;
const kH = 240;
const kM = { top: 16, right: 110, bottom: 40, left: 56 };
const kColors: Record<string, string> = {
  wafer: 'var(--wafer)',
  cluster: 'var(--cluster)',
  compute: 'var(--compute)',
  comm: 'var(--comm)',
  idle: 'var(--idle)',
};

interface Point {
  mode: string;
  i: number;
  gflops: number;
  hidden: boolean;
  shared?: boolean;
}

function frame(
  title: string,
  desc: string,
): {
  box: HTMLElement;
  svg: d3.Selection<SVGSVGElement, unknown, null, undefined>;
  g: d3.Selection<SVGGElement, unknown, null, undefined>;
} {
  const box = h('figure', { class: 'chart' }, h('figcaption', { text: title }));
  const svg = d3.select(box).append('svg').attr('viewBox', `0 0 ${kW} ${kH}`).attr('role', 'img').attr('aria-label', `${title}. ${desc}`);
  const g = svg.append('g').attr('transform', `translate(${kM.left},${kM.top})`);
  return { box, svg, g };
}

const innerW = kW - kM.left - kM.right;
const innerH = kH - kM.top - kM.bottom;

function axes(
  g: d3.Selection<SVGGElement, unknown, null, undefined>,
  x: d3.AxisScale<d3.NumberValue>,
  y: d3.AxisScale<d3.NumberValue>,
  xLabel: string,
  yLabel: string,
  xFmt?: (v: d3.NumberValue) => string,
  yFmt?: (v: d3.NumberValue) => string,
  /** Explicit x ticks (log axes label only these, so labels never pile up). */
  xTicks?: number[],
): void {
  const xa = d3.axisBottom(x).ticks(6);
  if (xTicks) xa.tickValues(xTicks);
  if (xFmt) xa.tickFormat(xFmt);
  const ya = d3.axisLeft(y).ticks(5);
  if (yFmt) ya.tickFormat(yFmt);
  g.append('g').attr('class', 'axis').attr('transform', `translate(0,${innerH})`).call(xa);
  g.append('g').attr('class', 'axis').call(ya);
  g.append('text')
    .attr('class', 'axis-label')
    .attr('x', innerW / 2)
    .attr('y', innerH + 34)
    .attr('text-anchor', 'middle')
    .text(xLabel);
  g.append('text')
    .attr('class', 'axis-label')
    .attr('transform', 'rotate(-90)')
    .attr('x', -innerH / 2)
    .attr('y', -44)
    .attr('text-anchor', 'middle')
    .text(yLabel);
}

/** At most `max` values, evenly picked, keeping the first and the last. */
function thin(values: number[], max: number): number[] {
  if (values.length <= max) return values;
  const step = (values.length - 1) / (max - 1);
  return [...new Set(Array.from({ length: max }, (_, i) => values[Math.round(i * step)]!))];
}

function legend(g: d3.Selection<SVGGElement, unknown, null, undefined>, items: { label: string; color: string; dashed?: boolean }[]): void {
  const l = g
    .append('g')
    .attr('class', 'legend')
    .attr('transform', `translate(${innerW + 12},4)`);
  items.forEach((it, i) => {
    const row = l.append('g').attr('transform', `translate(0,${i * 18})`);
    row
      .append('rect')
      .attr('width', 12)
      .attr('height', 12)
      .attr('fill', it.color)
      .attr('opacity', it.dashed ? 0.45 : 1);
    row.append('text').attr('x', 16).attr('y', 10).text(it.label);
  });
}

export class Charts {
  readonly el = h('section', { class: 'charts', 'aria-label': 'Charts' });
  private points: Point[] = [];
  private result: Result | null = null;
  private shared: Result | null = null;
  private partialResult: Result | null = null;
  private pending = false;
  private config: Config | null = null;
  private timelineKind: 'emulated' | 'measured' = 'emulated';
  private readonly tooltip = h('div', { class: 'tooltip', role: 'tooltip', hidden: true });

  constructor(private readonly compact: boolean) {
    this.el.append(this.tooltip);
  }

  reset(c: Config, shared: Result | null): void {
    this.config = c;
    this.points = [];
    this.result = null;
    this.partialResult = null;
    this.shared = shared;
    this.schedule();
  }

  iteration(mode: string, i: number, it: { gflops: number; hidden: boolean }): void {
    this.points.push({ mode, i, gflops: it.gflops, hidden: it.hidden });
    this.schedule();
  }

  partial(r: Result): void {
    this.partialResult = r;
    this.schedule();
  }

  showResult(r: Result, isShared = false): void {
    if (isShared) this.shared = r;
    else this.result = r;
    this.schedule();
  }

  /** Coalesces updates into one redraw per animation frame, so the page stays responsive. */
  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  private draw(): void {
    for (const c of [...this.el.querySelectorAll('figure, .chart-tools')]) c.remove();
    const c = this.config;
    const r = this.result ?? this.shared;
    const collectives = this.result?.collectives ?? this.partialResult?.collectives ?? this.shared?.collectives ?? [];
    if (c?.workload === 'allreduce' || collectives.length) {
      if (collectives.length)
        this.el.append(this.bandwidth(collectives, this.shared && collectives !== this.shared.collectives ? this.shared.collectives : []));
    } else {
      this.el.append(this.throughput());
    }
    if (this.compact) return;
    if (r && r.runs.length && r.config.workload !== 'allreduce') this.el.append(this.split(r));
    if (r && r.runs.length) this.el.append(...this.gantt(r));
    if (r?.scaling?.length) this.el.append(this.scaling(r));
  }

  private tip(ev: MouseEvent, text: string): void {
    this.tooltip.hidden = false;
    this.tooltip.textContent = text;
    const box = this.el.getBoundingClientRect();
    this.tooltip.style.left = `${ev.clientX - box.left + 12}px`;
    this.tooltip.style.top = `${ev.clientY - box.top + 12}px`;
  }

  private untip(): void {
    this.tooltip.hidden = true;
  }

  private throughput(): HTMLElement {
    const { box, g } = frame(
      'Throughput per iteration (emulated GFLOP/s)',
      'Emulated throughput of each timed iteration, per mode; hidden-tab iterations are hollow and left out of the statistics.',
    );
    const pts = [...this.points];
    if (this.shared) {
      for (const run of this.shared.runs)
        run.iterations.forEach((it, i) =>
          pts.push({ mode: run.mode, i, gflops: run.flops / (it.emulatedStepMs * 1e6), hidden: it.hidden, shared: true }),
        );
    }
    const x = d3
      .scaleLinear()
      .domain([0, Math.max(1, d3.max(pts, (p) => p.i) ?? 1)])
      .range([0, innerW]);
    const y = d3
      .scaleLinear()
      .domain([0, (d3.max(pts, (p) => p.gflops) ?? 1) * 1.1 || 1])
      .nice()
      .range([innerH, 0]);
    axes(g, x, y, 'iteration', 'GFLOP/s (emulated)');
    for (const [key, group] of d3.group(pts, (p) => `${p.mode}${p.shared ? ' (shared)' : ''}`)) {
      const mode = group[0]!.mode;
      this.series(g, group, {
        x: (p) => x(p.i),
        y: (p) => y(p.gflops),
        color: kColors[mode]!,
        dashed: group[0]!.shared === true,
        hollow: (p) => p.hidden,
        key,
        tip: (p) => `${key}, iteration ${p.i + 1}: ${fmt(p.gflops)} GFLOP/s${p.hidden ? ' (tab hidden: excluded)' : ''}`,
      });
    }
    const modes = [...new Set(pts.map((p) => p.mode))];
    legend(g, [
      ...modes.map((m) => ({ label: m, color: kColors[m]! })),
      ...(this.shared ? [{ label: 'shared (dashed)', color: 'var(--muted)', dashed: true }] : []),
    ]);
    return box;
  }

  /** One data series: a line through the points, and a point per datum with its tooltip. */
  private series<T>(
    g: d3.Selection<SVGGElement, unknown, null, undefined>,
    data: T[],
    o: {
      x: (d: T) => number;
      y: (d: T) => number;
      color: string;
      key: string;
      tip: (d: T) => string;
      dashed?: boolean;
      width?: number;
      hollow?: (d: T) => boolean;
    },
  ): void {
    g.append('path')
      .datum(data)
      .attr('class', 'series')
      .attr('fill', 'none')
      .attr('stroke', o.color)
      .attr('stroke-width', o.width ?? 2)
      .attr('stroke-dasharray', o.dashed ? '4 3' : null)
      .attr('d', d3.line<T>(o.x, o.y));
    g.selectAll(null)
      .data(data)
      .join('circle')
      .attr('class', 'point')
      .attr('data-series', o.key)
      .attr('cx', o.x)
      .attr('cy', o.y)
      .attr('r', 3)
      .attr('fill', (d) => (o.hollow?.(d) ? 'none' : o.color))
      .attr('stroke', o.color)
      .on('mousemove', (ev: MouseEvent, d) => this.tip(ev, o.tip(d)))
      .on('mouseleave', () => this.untip());
  }

  private split(r: Result): HTMLElement {
    const { box, g } = frame(
      'Step time split (emulated, ms)',
      'Per mode: compute on the critical path, exposed communication, and idle time.',
    );
    const rows = r.runs.map((x) => ({
      label: `${x.mode} ×${x.units}`,
      compute: x.computeMs,
      comm: x.exposedCommMs,
      idle: Math.max(0, x.emulatedStepMs.median - x.computeMs - x.exposedCommMs),
    }));
    const keys = ['compute', 'comm', 'idle'] as const;
    const y = d3
      .scaleBand()
      .domain(rows.map((x) => x.label))
      .range([0, innerH])
      .padding(0.25);
    const x = d3
      .scaleLinear()
      .domain([0, d3.max(rows, (d) => d.compute + d.comm + d.idle) || 1])
      .nice()
      .range([0, innerW]);
    g.append('g').attr('class', 'axis').attr('transform', `translate(0,${innerH})`).call(d3.axisBottom(x).ticks(6));
    g.append('g').attr('class', 'axis').call(d3.axisLeft(y));
    g.append('text')
      .attr('class', 'axis-label')
      .attr('x', innerW / 2)
      .attr('y', innerH + 34)
      .attr('text-anchor', 'middle')
      .text('ms per step (emulated)');
    for (const row of rows) {
      let at = 0;
      for (const k of keys) {
        const v = row[k];
        g.append('rect')
          .attr('class', `bar ${k}`)
          .attr('x', x(at))
          .attr('y', y(row.label)!)
          .attr('width', Math.max(0, x(at + v) - x(at)))
          .attr('height', y.bandwidth())
          .attr('fill', kColors[k]!)
          .on('mousemove', (ev: MouseEvent) => this.tip(ev, `${row.label}: ${k === 'comm' ? 'exposed communication' : k} ${fmt(v)} ms`))
          .on('mouseleave', () => this.untip());
        at += v;
      }
    }
    legend(g, [
      { label: 'compute', color: kColors.compute! },
      { label: 'exposed comm', color: kColors.comm! },
      { label: 'idle', color: kColors.idle! },
    ]);
    return box;
  }

  private gantt(r: Result): HTMLElement[] {
    const tools = h('div', { class: 'chart-tools' });
    const sel = h(
      'select',
      { 'aria-label': 'Timeline' },
      h('option', { value: 'emulated', text: 'Emulated timeline' }),
      h('option', { value: 'measured', text: 'Measured timeline (workers sharing this GPU)' }),
    );
    sel.value = this.timelineKind;
    sel.addEventListener('change', () => {
      this.timelineKind = sel.value as 'emulated' | 'measured';
      this.schedule();
    });
    tools.append(h('label', { text: 'Timeline: ' }, sel));
    const out: HTMLElement[] = [tools];
    for (const run of r.runs.slice(-2)) out.push(this.ganttOf(run, this.timelineKind === 'measured' ? run.measuredTimeline : run.timeline));
    return out;
  }

  private ganttOf(run: RunRecord, events: TimelineEvent[]): HTMLElement {
    const { box, g } = frame(
      `${run.mode} ${this.timelineKind} timeline per ${run.mode === 'wafer' ? 'tile' : 'device'} (ms)`,
      `Each bar is a kernel (compute) or a transfer (comm) on one unit, for one step.`,
    );
    const devices = [...new Set(events.map((e) => e.device))].sort((a, b) => a - b);
    const y = d3.scaleBand<number>().domain(devices).range([0, innerH]).padding(0.15);
    const x = d3
      .scaleLinear()
      .domain([0, d3.max(events, (e) => e.start + e.dur) || 1])
      .range([0, innerW]);
    g.append('g').attr('class', 'axis').attr('transform', `translate(0,${innerH})`).call(d3.axisBottom(x).ticks(6));
    g.append('g')
      .attr('class', 'axis')
      .call(d3.axisLeft(y).tickFormat((d) => `${run.mode === 'wafer' ? 'tile' : 'gpu'} ${d}`));
    g.append('text')
      .attr('class', 'axis-label')
      .attr('x', innerW / 2)
      .attr('y', innerH + 34)
      .attr('text-anchor', 'middle')
      .text('ms');
    g.selectAll(null)
      .data(events)
      .join('rect')
      .attr('class', (e) => `bar ${e.kind}`)
      .attr('x', (e) => x(e.start))
      .attr('y', (e) => y(e.device)! + (e.kind === 'comm' ? y.bandwidth() / 2 : 0))
      .attr('width', (e) => Math.max(0.5, x(e.start + e.dur) - x(e.start)))
      .attr('height', y.bandwidth() / 2)
      .attr('fill', (e) => kColors[e.kind]!)
      .on('mousemove', (ev: MouseEvent, e) =>
        this.tip(ev, `${e.label}: ${fmt(e.dur)} ms from ${fmt(e.start)} ms${e.bytes ? `, ${fmtBytes(e.bytes)}` : ''}`),
      )
      .on('mouseleave', () => this.untip());
    legend(g, [
      { label: 'compute', color: kColors.compute! },
      { label: 'comm', color: kColors.comm! },
    ]);
    return box;
  }

  private bandwidth(rows: Result['collectives'], shared: Result['collectives']): HTMLElement {
    const { box, g } = frame(
      'All-reduce bandwidth against message size (GB/s, log-log)',
      'algbw and busbw per message size for each mode, decimal GB/s.',
    );
    const all = [...rows.map((r) => ({ ...r, shared: false })), ...shared.map((r) => ({ ...r, shared: true }))];
    const x = d3
      .scaleLog()
      .domain(d3.extent(all, (r) => r.bytes) as [number, number])
      .range([0, innerW]);
    const vals = all.flatMap((r) => [r.algbw, r.busbw]).filter((v) => v > 0);
    const y = d3
      .scaleLog()
      .domain([d3.min(vals) ?? 1e-3, d3.max(vals) ?? 1])
      .nice()
      .range([innerH, 0]);
    axes(
      g,
      x,
      y,
      'message size (bytes)',
      'GB/s',
      (v) => fmtBytes(Number(v)),
      (v) => fmt(Number(v), 2),
      thin(
        [...new Set(all.map((r) => r.bytes))].sort((a, b) => a - b),
        6,
      ),
    );
    const series: { label: string; color: string; dashed?: boolean }[] = [];
    for (const [key, group] of d3.group(all, (r) => `${r.mode}${r.shared ? ' (shared)' : ''}`)) {
      const mode = group[0]!.mode;
      for (const metric of ['busbw', 'algbw'] as const) {
        const pts = group.filter((r) => r[metric] > 0);
        this.series(g, pts, {
          x: (r) => x(r.bytes),
          y: (r) => y(r[metric]),
          color: kColors[mode]!,
          width: metric === 'busbw' ? 2 : 1.2,
          dashed: metric === 'algbw' || group[0]!.shared,
          key: `${key} ${metric}`,
          tip: (r) =>
            `${key} ${r.algorithm}, ${r.bytes} B: ${metric} ${fmt(r[metric])} GB/s, time ${fmt(r.timeUs)} µs (emulated), #wrong ${r.wrong}`,
        });
        series.push({ label: `${key} ${metric}`, color: kColors[mode]!, dashed: metric === 'algbw' });
      }
    }
    legend(g, series);
    return box;
  }

  private scaling(r: Result): HTMLElement {
    const { box, g } = frame(
      'Scaling over unit counts (emulated GFLOP/s and efficiency)',
      'Throughput per mode against the number of tiles or shards.',
    );
    const pts = r
      .scaling!.flatMap((s) => [
        { mode: 'wafer', units: s.units, g: s.waferGflops },
        { mode: 'cluster', units: s.units, g: s.clusterGflops },
      ])
      .filter((p): p is { mode: string; units: number; g: number } => p.g !== null);
    const x = d3
      .scaleLog()
      .base(2)
      .domain(d3.extent(pts, (p) => p.units) as [number, number])
      .range([0, innerW]);
    const y = d3
      .scaleLinear()
      .domain([0, (d3.max(pts, (p) => p.g) ?? 1) * 1.1])
      .nice()
      .range([innerH, 0]);
    axes(g, x, y, 'units (tiles or shards)', 'GFLOP/s (emulated)', (v) => String(v), undefined, [...new Set(pts.map((p) => p.units))]);
    for (const [mode, group] of d3.group(pts, (p) => p.mode)) {
      const base = group.find((p) => p.units === 1)?.g ?? group[0]!.g;
      this.series(g, group, {
        x: (p) => x(p.units),
        y: (p) => y(p.g),
        color: kColors[mode]!,
        key: mode,
        tip: (p) => `${mode} ×${p.units}: ${fmt(p.g)} GFLOP/s, efficiency ${fmt((p.g / (base * p.units)) * 100, 3)}%`,
      });
    }
    legend(g, [
      { label: 'wafer', color: kColors.wafer! },
      { label: 'cluster', color: kColors.cluster! },
    ]);
    return box;
  }
}
