// The step on the target hardware, split per side: the step with communication free, then what communication adds
// (exposed), with the band of the whole step as a whisker.

import * as d3 from 'd3';
import type { RunRecord } from '../../engine/result.ts';
import { fmtTime } from '../dom.ts';
import { runLabel } from '../labels.ts';
import { axis, legend, type ChartSpec } from './chart.ts';

interface Row {
  key: string;
  label: string;
  side: 'wafer' | 'cluster';
  compute: number;
  exposed: number;
  low: number;
  high: number;
}

function rows(runs: RunRecord[], prefix = ''): Row[] {
  return runs
    .filter((r) => r.target)
    .map((r) => ({
      key: `${prefix}${r.mode}${r.units}`,
      label: `${prefix}${runLabel(r.mode, r.units)}`,
      side: r.mode,
      compute: r.target!.computeUs,
      exposed: r.target!.exposedCommUs,
      low: r.target!.band.lowUs,
      high: r.target!.band.highUs,
    }));
}

export const stepSplit: ChartSpec = {
  id: 'step-split',
  compact: true,
  title: () => 'One step on the target hardware: compute, and what communication adds (µs)',
  describe: () =>
    'Per side, a bar of the step with communication free (solid) followed by the exposed communication (hatched); the whisker spans the band.',
  applies: (i) => Boolean(i.projection?.runs.some((r) => r.target) || i.shared?.runs.some((r) => r.target)),
  render(f, i) {
    const data = [...rows(i.projection?.runs ?? []), ...rows(i.shared?.runs ?? [], 'shared · ')];
    const y = d3
      .scaleBand<string>()
      .domain(data.map((d) => d.key))
      .range([0, f.innerH])
      .padding(0.3);
    const x = d3
      .scaleLinear()
      .domain([0, d3.max(data, (d) => Math.max(d.high, d.compute + d.exposed)) || 1])
      .nice()
      .range([0, f.innerW]);
    axis(f, 'x', x, 'µs per step on the target', { ticks: 5 });
    const labels = new Map(data.map((d) => [d.key, d.label]));
    axis(f, 'y', y, '', { format: ((k: string) => labels.get(k) ?? k) as never });
    const bar = f.plot
      .selectAll<SVGGElement, Row>('g.bar')
      .data(data, (d) => d.key)
      .join((enter) => {
        const g = enter.append('g').attr('class', 'bar');
        g.append('rect').attr('class', 'compute');
        g.append('rect').attr('class', 'comm');
        g.append('line').attr('class', 'whisker');
        g.append('title');
        return g;
      });
    bar.attr('transform', (d) => `translate(0,${y(d.key)})`);
    bar
      .select('rect.compute')
      .attr('class', (d) => `compute fill-${d.side}`)
      .attr('x', 0)
      .attr('height', y.bandwidth())
      .attr('width', (d) => Math.max(0, x(d.compute)));
    bar
      .select('rect.comm')
      .attr('class', (d) => `comm hatch-${d.side}`)
      .attr('fill', (d) => f.hatch(d.side))
      .attr('x', (d) => x(d.compute))
      .attr('height', y.bandwidth())
      .attr('width', (d) => Math.max(0, x(d.compute + d.exposed) - x(d.compute)));
    bar
      .select('line.whisker')
      .attr('x1', (d) => x(d.low))
      .attr('x2', (d) => x(d.high))
      .attr('y1', y.bandwidth() / 2)
      .attr('y2', y.bandwidth() / 2);
    bar
      .select('title')
      .text(
        (d) =>
          `${d.label}: ${fmtTime(d.compute + d.exposed)} (band ${fmtTime(d.low)} – ${fmtTime(d.high)}); communication adds ${fmtTime(d.exposed)}`,
      );
    legend(f, [
      { key: 'compute', label: 'compute (solid)', cls: 'neutral' },
      { key: 'comm', label: 'exposed comm (hatched)', cls: 'neutral', dashed: true },
    ]);
    return {
      head: ['side', 'step µs', 'band low µs', 'band high µs', 'compute µs', 'exposed communication µs'],
      rows: data.map((d) => [d.label, String(d.compute + d.exposed), String(d.low), String(d.high), String(d.compute), String(d.exposed)]),
    };
  },
};
