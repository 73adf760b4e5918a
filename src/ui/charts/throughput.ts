// This page's run, iteration by iteration, with your GPU as the unit (GFLOP/s of N units as fast as this adapter):
// what the local, verified execution saw. Hidden-tab iterations are hollow and left out of the statistics.

import * as d3 from 'd3';
import { fmt } from '../dom.ts';
import { kSideLabel } from '../labels.ts';
import { axis, legend, ranHere, type ChartSpec } from './chart.ts';

interface Point {
  key: string;
  series: string;
  side: 'wafer' | 'cluster';
  shared: boolean;
  i: number;
  gflops: number;
  hidden: boolean;
}

export const throughput: ChartSpec = {
  id: 'throughput',
  compact: true,
  live: true,
  title: () => 'This run, per iteration: your GPU as the unit (GFLOP/s)',
  describe: () =>
    'Throughput of each timed iteration per side, emulated with kernels timed alone on this adapter; hollow points ran in a hidden tab.',
  applies: (i) => i.live.length > 0 || [i.result, i.shared].some((r) => r?.runs.some((x) => ranHere(x) && x.flops > 0)),
  render(f, i) {
    const pts: Point[] = i.live.map((p) => ({
      key: `${p.mode}${p.i}`,
      series: p.mode,
      side: p.mode as Point['side'],
      shared: false,
      i: p.i,
      gflops: p.gflops,
      hidden: p.hidden,
    }));
    for (const run of i.shared?.runs ?? [])
      run.iterations.forEach((it, k) =>
        pts.push({
          key: `s${run.mode}${k}`,
          series: `shared ${run.mode}`,
          side: run.mode,
          shared: true,
          i: k,
          gflops: run.flops / (it.emulatedStepMs * 1e6),
          hidden: it.hidden,
        }),
      );
    const good = pts.filter((p) => Number.isFinite(p.gflops));
    const last = d3.max(good, (p) => p.i) ?? 0;
    const x = d3
      .scaleLinear()
      .domain([0, Math.max(1, last)])
      .range([0, f.innerW]);
    const y = d3
      .scaleLinear()
      .domain([0, (d3.max(good, (p) => p.gflops) ?? 1) * 1.1 || 1])
      .nice()
      .range([f.innerH, 0]);
    // Iterations are whole numbers: ticks only there.
    const ticks = d3.range(0, last + 1, Math.max(1, Math.ceil((last + 1) / 8)));
    axis(f, 'x', x, 'iteration', { values: ticks, format: ((v: number) => String(v + 1)) as never });
    axis(f, 'y', y, 'GFLOP/s (your GPU as the unit)', { ticks: 5 });
    const series = d3.group(good, (p) => p.series);
    f.plot
      .selectAll<SVGPathElement, [string, Point[]]>('path.series')
      .data([...series], (d) => d[0])
      .join('path')
      .attr('class', ([, p]) => `series stroke-${p[0]!.side}`)
      .attr('fill', 'none')
      .attr('stroke-dasharray', ([, p]) => (p[0]!.shared ? '4 3' : null))
      .attr(
        'd',
        ([, p]) =>
          d3.line<Point>(
            (d) => x(d.i),
            (d) => y(d.gflops),
          )(p) ?? '',
      );
    f.plot
      .selectAll<SVGCircleElement, Point>('circle.point')
      .data(good, (d) => d.key)
      .join((enter) => {
        const c = enter.append('circle').attr('r', 3.5);
        c.append('title');
        return c;
      })
      .attr('class', (d) => `point stroke-${d.side} ${d.hidden ? 'hollow' : `fill-${d.side}`}`)
      .attr('data-series', (d) => d.series)
      .attr('cx', (d) => x(d.i))
      .attr('cy', (d) => y(d.gflops))
      .select('title')
      .text((d) => `${d.series}, iteration ${d.i + 1}: ${fmt(d.gflops)} GFLOP/s${d.hidden ? ' (tab hidden: excluded)' : ''}`);
    legend(
      f,
      [...series.keys()].map((k) => {
        const p = series.get(k)![0]!;
        return { key: k, label: p.shared ? `shared ${kSideLabel[p.side]}` : kSideLabel[p.side], cls: `stroke-${p.side}`, dashed: p.shared };
      }),
    );
    return {
      head: ['series', 'iteration', 'GFLOP/s', 'tab hidden'],
      rows: good.map((p) => [p.series, String(p.i + 1), fmt(p.gflops, 4), p.hidden ? 'yes' : 'no']),
    };
  },
};
