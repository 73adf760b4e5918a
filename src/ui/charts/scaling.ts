// The step on the target hardware against the number of units (tiles or GPUs) per side; with a local run, the
// throughput with your GPU as the unit beside it in the table.

import * as d3 from 'd3';
import { fmt, fmtTime } from '../dom.ts';
import { kSideLabel, runLabel } from '../labels.ts';
import { axis, legend, logTicks, shortNumber, type ChartSpec, type Side } from './chart.ts';

export const scaling: ChartSpec = {
  id: 'scaling',
  title: () => 'Step time on the target against the number of units (µs, log-log)',
  describe: () => 'Per side, the projected step time for 1, 2, 4, … tiles or GPUs.',
  applies: (i) => Boolean((i.result ?? i.projection)?.scaling?.some((s) => s.waferUs || s.clusterUs)),
  render(f, i) {
    const rows = (i.result ?? i.projection)!.scaling!;
    const sides: Side[] = (['wafer', 'cluster'] as const).filter((s) => rows.some((r) => r[`${s}Us`]));
    const pts = rows.flatMap((r) => sides.filter((s) => (r[`${s}Us`] ?? 0) > 0).map((s) => ({ s, units: r.units, us: r[`${s}Us`]! })));
    const x = d3
      .scaleLog()
      .base(2)
      .domain(d3.extent(pts, (p) => p.units) as [number, number])
      .range([0, f.innerW]);
    const ys = d3.extent(pts, (p) => p.us) as [number, number];
    const y = d3
      .scaleLog()
      .domain([ys[0] / 1.5, ys[1] * 1.5])
      .range([f.innerH, 0]);
    axis(f, 'x', x, 'units (tiles or GPUs)', { values: [...new Set(pts.map((p) => p.units))], format: String as never });
    axis(f, 'y', y, 'µs per step', { values: logTicks(y.domain()[0]!, y.domain()[1]!), format: shortNumber as never });
    f.plot
      .selectAll<SVGPathElement, Side>('path.series')
      .data(sides, (s) => s)
      .join('path')
      .attr('class', (s) => `series stroke-${s}`)
      .attr('fill', 'none')
      .attr(
        'd',
        (s) =>
          d3.line<(typeof pts)[number]>(
            (p) => x(p.units),
            (p) => y(p.us),
          )(pts.filter((p) => p.s === s)) ?? '',
      );
    f.plot
      .selectAll<SVGCircleElement, (typeof pts)[number]>('circle.point')
      .data(pts, (p) => `${p.s}${p.units}`)
      .join((enter) => {
        const c = enter.append('circle').attr('r', 3);
        c.append('title');
        return c;
      })
      .attr('class', (p) => `point fill-${p.s} stroke-${p.s}`)
      .attr('cx', (p) => x(p.units))
      .attr('cy', (p) => y(p.us))
      .select('title')
      .text((p) => `${runLabel(p.s, p.units)}: ${fmtTime(p.us)}`);
    legend(
      f,
      sides.map((s) => ({ key: s, label: kSideLabel[s], cls: `stroke-${s}` })),
    );
    return {
      head: ['units', 'wafer µs', 'cluster µs', 'wafer GFLOP/s here', 'cluster GFLOP/s here'],
      rows: rows.map((r) => [
        String(r.units),
        fmt(r.waferUs ?? NaN, 4),
        fmt(r.clusterUs ?? NaN, 4),
        fmt(r.waferGflops, 4),
        fmt(r.clusterGflops, 4),
      ]),
    };
  },
};
