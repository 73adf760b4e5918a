// The step on the target hardware against problem size, both sides on one chart (log-log), each with its band:
// where one side overtakes the other. Projection only.

import * as d3 from 'd3';
import type { SizePoint } from '../../engine/result.ts';
import { fmt, fmtTime, pct } from '../dom.ts';
import { kSideLabel } from '../labels.ts';
import { axis, legend, logTicks, shortNumber, sideSeries, type ChartSpec, type Side } from './chart.ts';

export const sizeSweep: ChartSpec = {
  id: 'size-sweep',
  title: (i) =>
    `Step time on the target against problem size (${(i.projection ?? i.shared)?.config.workload === 'allreduce' ? 'bytes' : 'elements per dimension'}, log-log)`,
  describe: () => 'Per side, the projected step time at each problem size with its band; a marker where the two lines cross.',
  applies: (i) => Boolean((i.projection ?? i.shared)?.sizeSweep?.length),
  render(f, i) {
    const sweep = (i.projection ?? i.shared)!.sizeSweep!;
    const sides: Side[] = (['wafer', 'cluster'] as const).filter((s) => sweep.some((p) => p[s]));
    const vals = sweep.flatMap((p) => sides.flatMap((s) => (p[s] ? [p[s]!.lowUs, p[s]!.highUs, p[s]!.stepUs] : []))).filter((v) => v > 0);
    const x = d3
      .scaleLog()
      .base(2)
      .domain(d3.extent(sweep, (p) => p.size) as [number, number])
      .range([0, f.innerW]);
    const y = d3
      .scaleLog()
      .domain([(d3.min(vals) ?? 1) / 1.5, (d3.max(vals) ?? 10) * 1.5])
      .range([f.innerH, 0]);
    axis(f, 'x', x, 'problem size', {
      values: sweep.map((p) => p.size).filter((_, k) => sweep.length <= 8 || k % 2 === 0),
      format: shortNumber as never,
    });
    axis(f, 'y', y, 'µs per step', { values: logTicks(y.domain()[0]!, y.domain()[1]!), format: shortNumber as never });
    sideSeries(
      f,
      sides,
      sweep,
      (p) => x(p.size),
      (p, s) => (p[s] ? { line: y(p[s].stepUs), low: y(p[s].lowUs), high: y(p[s].highUs) } : null),
    );
    const points = sweep.flatMap((p) => sides.filter((s) => p[s]).map((s) => ({ s, p })));
    f.plot
      .selectAll<SVGCircleElement, { s: Side; p: SizePoint }>('circle.point')
      .data(points, (d) => `${d.s}${d.p.size}`)
      .join((enter) => {
        const c = enter.append('circle').attr('r', 3);
        c.append('title');
        return c;
      })
      .attr('class', (d) => `point fill-${d.s} stroke-${d.s}`)
      .attr('cx', (d) => x(d.p.size))
      .attr('cy', (d) => y(d.p[d.s]!.stepUs))
      .select('title')
      .text(
        (d) =>
          `${kSideLabel[d.s]} at ${d.p.size}: ${fmtTime(d.p[d.s]!.stepUs)}, MFU ${pct(d.p[d.s]!.mfu)}, exposed communication ${pct(d.p[d.s]!.exposedShare)}`,
      );
    // Crossovers: consecutive sizes where the faster side changes.
    const cross: { size: number; us: number }[] = [];
    for (let k = 1; k < sweep.length; k++) {
      const [a, b] = [sweep[k - 1]!, sweep[k]!];
      if (!a.wafer || !a.cluster || !b.wafer || !b.cluster) continue;
      if (Math.sign(a.cluster.stepUs - a.wafer.stepUs) !== Math.sign(b.cluster.stepUs - b.wafer.stepUs))
        cross.push({ size: Math.sqrt(a.size * b.size), us: Math.sqrt(a.wafer.stepUs * b.wafer.stepUs) });
    }
    f.plot
      .selectAll<SVGPathElement, { size: number; us: number }>('path.crossover')
      .data(cross)
      .join('path')
      .attr('class', 'crossover')
      .attr('d', d3.symbol(d3.symbolDiamond, 64)() ?? '')
      .attr('transform', (c) => `translate(${x(c.size)},${y(c.us)})`);
    legend(f, [
      ...sides.map((s) => ({ key: s, label: kSideLabel[s], cls: `stroke-${s}` })),
      ...(cross.length ? [{ key: 'x', label: 'crossover', cls: 'neutral' }] : []),
    ]);
    return {
      head: ['size', ...sides.flatMap((s) => [`${s} µs`, `${s} band`, `${s} MFU`, `${s} exposed`])],
      rows: sweep.map((p) => [
        String(p.size),
        ...sides.flatMap((s) =>
          p[s]
            ? [fmt(p[s]!.stepUs, 4), `${fmt(p[s]!.lowUs)}–${fmt(p[s]!.highUs)}`, pct(p[s]!.mfu), pct(p[s]!.exposedShare)]
            : ['—', '—', '—', '—'],
        ),
      ]),
    };
  },
};
