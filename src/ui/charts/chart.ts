// What a chart is (one record per file, listed in ./index.ts) and the frame every chart draws into: a figure with
// a caption, an SVG sized to its container in CSS pixels (so text renders at its stated size), and the chart's
// data as a table for screen readers. Marks are joined by key, so a chart updates in place.

import * as d3 from 'd3';
import type { Result, RunRecord } from '../../engine/result.ts';
import { h, scrollBox, setAttr, tableBody, tableHead } from '../dom.ts';

/** What the charts draw from. */
export interface ChartInput {
  /** The live projection of the configuration the controls show. */
  projection: Result | null;
  /** This page's run (partial while it runs). */
  result: Result | null;
  /** A result from a shared link, overlaid. */
  shared: Result | null;
  /** Per-iteration points of the run in progress. */
  live: { mode: string; i: number; gflops: number; hidden: boolean }[];
  /** Measured points imported from nccl-tests logs or a cluster run. */
  imported: { label: string; points: { bytes: number; busbw: number; timeUs: number }[] }[];
  /** Which timeline the timeline chart shows. */
  timeline: 'target' | 'emulated' | 'measured';
}

export interface ChartSpec {
  id: string;
  title(input: ChartInput): string;
  /** A sentence for screen readers: what the chart shows. */
  describe(input: ChartInput): string;
  applies(input: ChartInput): boolean;
  /** Draws (or updates) the chart in its frame, and returns its data as a table. */
  render(frame: Frame, input: ChartInput): { head: string[]; rows: string[][] };
  /** Shown in the compact (embed) layout. */
  compact?: boolean;
  /** Draws the run's per-iteration points (`live`): redrawn as they arrive; the other charts are not. */
  live?: true;
  /**
   * Draws decode's batch curve, which arrives after the rest of the projection (same runs, a new result): redrawn
   * then; the other charts are not.
   */
  curve?: true;
}

/** The two sides compared. */
export type Side = 'wafer' | 'cluster';

/** Whether a run ran on this page (it has timed iterations), not only projected. */
export const ranHere = (run: RunRecord): boolean => run.iterations.length > 0;

const kHeight = 240;
const kMargin = { top: 14, right: 16, bottom: 44, left: 64 };

export interface Frame {
  figure: HTMLElement;
  svg: d3.Selection<SVGSVGElement, unknown, null, undefined>;
  plot: d3.Selection<SVGGElement, unknown, null, undefined>;
  width: number;
  height: number;
  innerW: number;
  innerH: number;
  /** The fill of a side's communication: its hatching (ids are per chart, so they stay unique on the page). */
  hatch(side: Side): string;
}

/** The figure of a chart: made once, then resized and re-captioned on every render. */
export function frameOf(figure: HTMLElement, spec: ChartSpec, input: ChartInput, width: number, height = kHeight): Frame {
  let svgNode = figure.querySelector('svg');
  if (!svgNode) {
    figure.append(h('figcaption', { id: `chart-${spec.id}-title` }));
    const svg = d3.select(figure).append('svg').attr('role', 'img').attr('aria-labelledby', `chart-${spec.id}-title chart-${spec.id}-desc`);
    svg.append('desc').attr('id', `chart-${spec.id}-desc`);
    svg.append('defs').call(hatches, spec.id);
    svg.append('g').attr('class', 'plot');
    const details = h(
      'details',
      { class: 'data' },
      h('summary', { text: 'Data as a table' }),
      scrollBox({ 'aria-labelledby': `chart-${spec.id}-title` }, h('table')),
    );
    figure.append(details);
    svgNode = svg.node()!;
  }
  // Called on every draw: only what changed is written, so an unchanged figure is not restyled.
  const caption = figure.querySelector('figcaption')!;
  const title = spec.title(input);
  if (caption.textContent !== title) caption.textContent = title;
  const desc = svgNode.querySelector('desc')!;
  const describe = spec.describe(input);
  if (desc.textContent !== describe) desc.textContent = describe;
  setAttr(svgNode, 'viewBox', `0 0 ${width} ${height}`);
  setAttr(svgNode, 'width', String(width));
  setAttr(svgNode, 'height', String(height));
  const svg = d3.select(svgNode);
  const plot = svg.select<SVGGElement>('g.plot');
  setAttr(plot.node()!, 'transform', `translate(${kMargin.left},${kMargin.top})`);
  return {
    figure,
    svg,
    plot,
    width,
    height,
    innerW: width - kMargin.left - kMargin.right,
    innerH: height - kMargin.top - kMargin.bottom,
    hatch: (side) => `url(#hatch-${spec.id}-${side})`,
  };
}

/** Diagonal hatching per side: communication is the side's colour, hatched; compute is solid. */
function hatches(defs: d3.Selection<SVGDefsElement, unknown, null, undefined>, id: string): void {
  for (const side of ['wafer', 'cluster']) {
    const p = defs
      .append('pattern')
      .attr('id', `hatch-${id}-${side}`)
      .attr('patternUnits', 'userSpaceOnUse')
      .attr('width', 6)
      .attr('height', 6)
      .attr('patternTransform', 'rotate(45)');
    p.append('rect').attr('width', 6).attr('height', 6).attr('class', `hatch-bg side-${side}`);
    p.append('line').attr('x1', 0).attr('y1', 0).attr('x2', 0).attr('y2', 6).attr('class', `hatch-line side-${side}`);
  }
}

/** Each chart table's header as last written, to keep its thead while the header stays the same. */
const kHeads = new WeakMap<Element, string>();

/** The chart's data table (its body replaced on every render; its head only when it changes). */
export function writeTable(frame: Frame, data: { head: string[]; rows: string[][] }): void {
  const table = frame.figure.querySelector<HTMLTableElement>('details.data table')!;
  const head = JSON.stringify(data.head);
  const body = tableBody(data.rows);
  if (kHeads.get(table) === head && table.tBodies[0]) table.tBodies[0].replaceWith(body);
  else {
    table.replaceChildren(tableHead(data.head), body);
    kHeads.set(table, head);
  }
}

type Scale = d3.AxisScale<d3.NumberValue> | d3.AxisScale<string> | d3.AxisScale<number>;

/** An axis at the bottom or left of the plot, updated in place, with its label. */
export function axis(
  f: Frame,
  where: 'x' | 'y',
  scale: Scale,
  label: string,
  o: { ticks?: number; values?: (number | string)[]; format?: (v: never) => string } = {},
): void {
  const a = (where === 'x'
    ? d3.axisBottom(scale as d3.AxisScale<d3.NumberValue>)
    : d3.axisLeft(scale as d3.AxisScale<d3.NumberValue>)) as unknown as d3.Axis<never>;
  if (o.values) a.tickValues(o.values as never[]);
  else if (o.ticks !== undefined) a.ticks(o.ticks);
  if (o.format) a.tickFormat(o.format);
  const g = f.plot
    .selectAll<SVGGElement, string>(`g.axis-${where}`)
    .data([where])
    .join('g')
    .attr('class', `axis axis-${where}`)
    .attr('transform', where === 'x' ? `translate(0,${f.innerH})` : null);
  g.call(a as never);
  f.plot
    .selectAll<SVGTextElement, string>(`text.axis-label-${where}`)
    .data([label])
    .join('text')
    .attr('class', `axis-label axis-label-${where}`)
    .attr('text-anchor', 'middle')
    .attr('x', where === 'x' ? f.innerW / 2 : -f.innerH / 2)
    .attr('y', where === 'x' ? f.innerH + 36 : -50)
    .attr('transform', where === 'y' ? 'rotate(-90)' : null)
    .text((d) => d);
}

/** A legend in the top-right corner: swatches and labels, updated in place. */
export function legend(f: Frame, items: { key: string; label: string; cls: string; dashed?: boolean }[]): void {
  const g = f.plot.selectAll<SVGGElement, string>('g.legend').data(['legend']).join('g').attr('class', 'legend');
  const row = g
    .selectAll<SVGGElement, (typeof items)[number]>('g.item')
    .data(items, (d) => d.key)
    .join((enter) => {
      const e = enter.append('g').attr('class', 'item');
      e.append('line').attr('x1', 0).attr('x2', 16).attr('y1', 6).attr('y2', 6);
      e.append('text').attr('x', 20).attr('y', 10);
      return e;
    });
  row.attr('transform', (_, i) => `translate(0,${i * 16})`);
  row
    .select('line')
    .attr('class', (d) => `swatch ${d.cls}`)
    .attr('stroke-dasharray', (d) => (d.dashed ? '4 3' : null));
  row.select('text').text((d) => d.label);
  const w = Math.max(0, ...items.map((d) => d.label.length)) * 6.5 + 24;
  g.attr('transform', `translate(${Math.max(0, f.innerW - w)},0)`);
}

/** Powers of ten (or two) inside a domain, for log axes; at most `max`, thinned evenly. */
export function logTicks(lo: number, hi: number, base = 10, max = 7): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log(lo) / Math.log(base) - 1e-9); base ** e <= hi * (1 + 1e-9); e++)
    if (base ** e >= lo * (1 - 1e-9)) out.push(base ** e);
  if (out.length <= max) return out;
  const step = Math.ceil(out.length / max);
  return out.filter((_, i) => i % step === 0);
}

/** Human numbers on axes: 1e-3 → 0.001, 1e6 → 1M. */
export const shortNumber = (v: number): string => d3.format('~s')(v);

/**
 * Per side, its band (drawn first, faint) and its line through `points`, joined by side so they update in place:
 * `x` is a point's position, `y` a side's line and band there (plot coordinates), or nothing where it has none.
 */
export function sideSeries<P>(
  f: Frame,
  sides: readonly Side[],
  points: P[],
  x: (p: P) => number,
  y: (p: P, s: Side) => { line: number; low: number; high: number } | null,
): void {
  for (const kind of ['band', 'series'] as const)
    f.plot
      .selectAll<SVGPathElement, Side>(`path.${kind}`)
      .data(sides, (s) => s)
      .join('path')
      .attr('class', (s) => `${kind} ${kind === 'band' ? 'fill' : 'stroke'}-${s}`)
      .attr('fill', kind === 'band' ? null : 'none')
      .attr('d', (s) => {
        const at = (p: P) => y(p, s);
        const path =
          kind === 'band'
            ? d3
                .area<P>()
                .defined((p) => Boolean(at(p)))
                .x((p) => x(p))
                .y0((p) => at(p)!.low)
                .y1((p) => at(p)!.high)
            : d3
                .line<P>()
                .defined((p) => Boolean(at(p)))
                .x((p) => x(p))
                .y((p) => at(p)!.line);
        return path(points) ?? '';
      });
}
