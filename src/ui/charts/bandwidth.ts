// All-reduce bus bandwidth against message size (log-log): the target model per side as a line with its band,
// what ran here as measured points, a shared result dashed, and imported measurements (nccl-tests logs, a real
// cluster) as their own series.

import * as d3 from 'd3';
import type { CollectiveRow } from '../../engine/result.ts';
import { fmt, fmtBytes } from '../dom.ts';
import { kSideLabel } from '../labels.ts';
import { axis, legend, logTicks, shortNumber, type ChartSpec } from './chart.ts';

interface Pt {
  series: string;
  cls: string;
  bytes: number;
  busbw: number;
  low?: number;
  high?: number;
  dashed?: boolean;
  points: boolean;
  line: boolean;
}

/** busbw at the band's ends: the band is in time, so its fast end is the high bandwidth. */
function bandOf(r: CollectiveRow): { low: number; high: number } | null {
  if (!r.band || !(r.timeUs > 0)) return null;
  return { low: (r.busbw * r.timeUs) / r.band.highUs, high: (r.busbw * r.timeUs) / r.band.lowUs };
}

export const bandwidth: ChartSpec = {
  id: 'bandwidth',
  compact: true,
  title: () => 'All-reduce bus bandwidth against message size (GB/s per direction, log-log)',
  describe: () => 'busbw per message size: target model lines with their band, measured points, shared and imported measurements.',
  applies: (i) =>
    Boolean(i.projection?.collectives.length || i.result?.collectives.length || i.shared?.collectives.length || i.imported.length),
  render(f, i) {
    const pts: Pt[] = [];
    for (const r of i.projection?.collectives ?? []) {
      const b = bandOf(r);
      pts.push({
        series: `${kSideLabel[r.mode]} (target)`,
        cls: `stroke-${r.mode}`,
        bytes: r.bytes,
        busbw: r.busbw,
        ...(b ?? {}),
        points: false,
        line: true,
      });
    }
    for (const r of i.result?.collectives ?? [])
      if (Number.isFinite(r.measuredBusbw))
        pts.push({
          series: `${kSideLabel[r.mode]} measured here`,
          cls: `stroke-${r.mode}`,
          bytes: r.bytes,
          busbw: r.measuredBusbw,
          points: true,
          line: false,
        });
    for (const r of i.shared?.collectives ?? []) {
      const v = Number.isFinite(r.busbw) ? r.busbw : r.measuredBusbw;
      if (Number.isFinite(v))
        pts.push({
          series: `shared ${kSideLabel[r.mode]}`,
          cls: `stroke-${r.mode}`,
          bytes: r.bytes,
          busbw: v,
          dashed: true,
          points: true,
          line: true,
        });
    }
    i.imported.forEach((s, k) => {
      for (const p of s.points)
        pts.push({
          series: s.label,
          cls: `stroke-import-${k % 4}`,
          bytes: p.bytes,
          busbw: p.busbw,
          points: true,
          line: true,
          dashed: true,
        });
    });
    const good = pts.filter((p) => p.bytes > 0 && p.busbw > 0);
    const xs = d3.extent(good, (p) => p.bytes) as [number, number];
    const ys = [
      d3.min(good, (p) => Math.min(p.busbw, p.low ?? Infinity)) ?? 1e-3,
      d3.max(good, (p) => Math.max(p.busbw, p.high ?? 0)) ?? 1,
    ];
    const x = d3
      .scaleLog()
      .domain(xs[0] === xs[1] ? [xs[0] / 2, xs[1] * 2] : xs)
      .range([0, f.innerW]);
    const y = d3
      .scaleLog()
      .domain([ys[0]! / 1.5, ys[1]! * 1.5])
      .range([f.innerH, 0]);
    axis(f, 'x', x, 'message size (bytes)', {
      values: logTicks(x.domain()[0]!, x.domain()[1]!, 1024, 6),
      format: ((v: number) => fmtBytes(v)) as never,
    });
    axis(f, 'y', y, 'busbw (GB/s)', { values: logTicks(y.domain()[0]!, y.domain()[1]!, 10, 6), format: shortNumber as never });
    const series = [...d3.group(good, (p) => p.series)];
    f.plot
      .selectAll<SVGPathElement, [string, Pt[]]>('path.band')
      .data(
        series.filter(([, p]) => p.some((q) => q.low !== undefined)),
        (d) => d[0],
      )
      .join('path')
      .attr('class', ([, p]) => `band ${p[0]!.cls.replace('stroke', 'fill')}`)
      .attr(
        'd',
        ([, p]) =>
          d3
            .area<Pt>()
            .x((q) => x(q.bytes))
            .y0((q) => y(q.low ?? q.busbw))
            .y1((q) => y(q.high ?? q.busbw))(p) ?? '',
      );
    f.plot
      .selectAll<SVGPathElement, [string, Pt[]]>('path.series')
      .data(
        series.filter(([, p]) => p[0]!.line),
        (d) => d[0],
      )
      .join('path')
      .attr('class', ([, p]) => `series ${p[0]!.cls}`)
      .attr('fill', 'none')
      .attr('stroke-dasharray', ([, p]) => (p[0]!.dashed ? '4 3' : null))
      .attr(
        'd',
        ([, p]) =>
          d3.line<Pt>(
            (q) => x(q.bytes),
            (q) => y(q.busbw),
          )(p) ?? '',
      );
    f.plot
      .selectAll<SVGCircleElement, Pt>('circle.point')
      .data(
        good.filter((p) => p.points),
        (p) => `${p.series}|${p.bytes}`,
      )
      .join((enter) => {
        const c = enter.append('circle').attr('r', 3);
        c.append('title');
        return c;
      })
      .attr('class', (p) => `point ${p.cls}`)
      .attr('data-series', (p) => p.series)
      .attr('cx', (p) => x(p.bytes))
      .attr('cy', (p) => y(p.busbw))
      .select('title')
      .text((p) => `${p.series}, ${p.bytes} B: busbw ${fmt(p.busbw)} GB/s`);
    legend(
      f,
      series.map(([k, p]) => ({ key: k, label: k, cls: p[0]!.cls, dashed: p[0]!.dashed })),
    );
    return {
      head: ['series', 'size (B)', 'busbw (GB/s)', 'band low', 'band high'],
      rows: good.map((p) => [
        p.series,
        String(p.bytes),
        fmt(p.busbw, 4),
        p.low !== undefined ? fmt(p.low, 4) : '',
        p.high !== undefined ? fmt(p.high, 4) : '',
      ]),
    };
  },
};
