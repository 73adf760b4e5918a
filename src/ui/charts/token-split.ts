// Decode and prefill: where one step's time goes on each side's busiest unit — reading weights and the KV cache,
// compute, kernel launches and fills, communication, and waiting for the other pipeline stages — as stacked bars.

import * as d3 from 'd3';
import type { LlmRecord, RunRecord } from '../../engine/result.ts';
import { fmtTime } from '../dom.ts';
import { kSideLabel, runLabel } from '../labels.ts';
import { axis, legend, type ChartSpec } from './chart.ts';

type Part = keyof NonNullable<LlmRecord['split']>;

const kParts: readonly { key: Part; label: string }[] = [
  { key: 'weightsUs', label: 'weights and KV read' },
  { key: 'computeUs', label: 'compute' },
  { key: 'launchUs', label: 'launches and fills' },
  { key: 'commUs', label: 'communication' },
  { key: 'waitUs', label: 'waiting for other stages' },
];

interface Seg {
  run: string;
  side: 'wafer' | 'cluster';
  part: Part;
  label: string;
  x0: number;
  x1: number;
}

const withSplit = (runs: RunRecord[]) => runs.filter((r) => r.llm?.split && r.target);

export const tokenSplit: ChartSpec = {
  id: 'token-split',
  title: () => 'Where a step goes on the busiest unit (µs)',
  describe: () =>
    'Per side, one bar of the busiest unit’s step: reading weights and the KV cache, compute, launches and fills, communication, and waiting for other pipeline stages.',
  applies: (i) => withSplit(i.projection?.runs ?? i.shared?.runs ?? []).length > 0,
  render(f, i) {
    const runs = withSplit(i.projection?.runs ?? i.shared?.runs ?? []);
    const keys = runs.map((r) => `${r.mode}${r.units}`);
    const segs: Seg[] = runs.flatMap((r) => {
      let at = 0;
      return kParts.map((p) => {
        const v = Math.max(0, r.llm!.split![p.key]);
        const seg = { run: `${r.mode}${r.units}`, side: r.mode, part: p.key, label: p.label, x0: at, x1: at + v };
        at += v;
        return seg;
      });
    });
    const y = d3.scaleBand<string>().domain(keys).range([0, f.innerH]).padding(0.3);
    const x = d3
      .scaleLinear()
      .domain([0, d3.max(segs, (s) => s.x1) || 1])
      .nice()
      .range([0, f.innerW]);
    axis(f, 'x', x, 'µs per step on the target', { ticks: 5 });
    const labels = new Map(runs.map((r) => [`${r.mode}${r.units}`, runLabel(r.mode, r.units)]));
    axis(f, 'y', y, '', { format: ((k: string) => labels.get(k) ?? k) as never });
    f.plot
      .selectAll<SVGRectElement, Seg>('rect.seg')
      .data(segs, (s) => `${s.run}${s.part}`)
      .join((enter) => {
        const r = enter.append('rect');
        r.append('title');
        return r;
      })
      .attr('class', (s) => `seg seg-${s.part} ${s.part === 'commUs' ? `hatch-${s.side}` : `fill-${s.side}`}`)
      .attr('fill', (s) => (s.part === 'commUs' ? f.hatch(s.side) : null))
      .attr('x', (s) => x(s.x0))
      .attr('y', (s) => y(s.run)!)
      .attr('height', y.bandwidth())
      .attr('width', (s) => Math.max(0, x(s.x1) - x(s.x0)))
      .select('title')
      .text((s) => `${kSideLabel[s.side]}: ${s.label} ${fmtTime(s.x1 - s.x0)}`);
    legend(
      f,
      kParts.map((p) => ({ key: p.key, label: p.label, cls: `neutral seg-${p.key}`, dashed: p.key === 'commUs' })),
    );
    return {
      head: ['side', ...kParts.map((p) => `${p.label} µs`)],
      rows: runs.map((r) => [runLabel(r.mode, r.units), ...kParts.map((p) => String(r.llm!.split![p.key]))]),
    };
  },
};
