// One step per unit over time (a Gantt chart): on the target hardware (µs), or with your GPU as the unit, or as
// measured here (ms). Compute is solid, communication hatched, in the side's colour; at most 16 units are drawn.

import * as d3 from 'd3';
import type { RunRecord, TimelineEvent } from '../../engine/result.ts';
import { fmt } from '../dom.ts';
import { kSideLabel } from '../labels.ts';
import { axis, ranHere, type ChartInput, type ChartSpec } from './chart.ts';

const kMaxUnits = 16;

function sources(i: ChartInput): { run: RunRecord; events: TimelineEvent[]; unit: string }[] {
  const local = i.result?.runs.filter(ranHere) ?? [];
  if (i.timeline !== 'target' && local.length)
    return local.slice(-2).map((run) => ({ run, events: i.timeline === 'measured' ? run.measuredTimeline : run.timeline, unit: 'ms' }));
  const runs = (i.projection ?? i.shared)?.runs.filter((r) => r.targetTimeline?.length) ?? [];
  return runs.slice(-2).map((run) => ({ run, events: run.targetTimeline!, unit: 'µs' }));
}

function timelineChart(side: 'wafer' | 'cluster'): ChartSpec {
  const pick = (i: ChartInput) => sources(i).find((s) => s.run.mode === side);
  return {
    id: `timeline-${side}`,
    title(i) {
      const s = pick(i);
      const view =
        i.timeline === 'target' || !i.result ? 'on the target' : i.timeline === 'measured' ? 'as measured here' : 'your GPU as the unit';
      return `${kSideLabel[side]} timeline ${view}, per ${side === 'wafer' ? 'tile' : 'GPU'} (${s?.unit ?? 'µs'})`;
    },
    describe: () => 'Each bar is a kernel (solid) or a collective (hatched) on one unit during one step.',
    applies: (i) => Boolean(pick(i)?.events.length),
    render(f, i) {
      const s = pick(i)!;
      const units = new Set(s.events.map((e) => e.device));
      const devices = [...units].sort((a, b) => a - b).slice(0, kMaxUnits);
      const events = s.events.filter((e) => devices.includes(e.device) && Number.isFinite(e.start) && Number.isFinite(e.dur));
      const y = d3.scaleBand<number>().domain(devices).range([0, f.innerH]).padding(0.15);
      const x = d3
        .scaleLinear()
        .domain([0, d3.max(events, (e) => e.start + e.dur) || 1])
        .nice()
        .range([0, f.innerW]);
      axis(f, 'x', x, s.unit, { ticks: 5 });
      axis(f, 'y', y, '', {
        format: ((d: number) => `${side === 'wafer' ? 'tile' : 'gpu'} ${d}`) as never,
        values: devices.length > 8 ? devices.filter((_, k) => k % 2 === 0) : devices,
      });
      f.plot
        .selectAll<SVGRectElement, TimelineEvent>('rect.event')
        .data(events, (e) => `${e.node ?? e.label}|${e.device}|${e.start}`)
        .join((enter) => {
          const r = enter.append('rect');
          r.append('title');
          return r;
        })
        .attr('class', (e) => `event ${e.kind} ${e.kind === 'comm' ? `hatch-${side}` : `fill-${side}`}`)
        .attr('fill', (e) => (e.kind === 'comm' ? f.hatch(side) : null))
        .attr('x', (e) => x(e.start))
        .attr('y', (e) => y(e.device)! + (e.kind === 'comm' ? y.bandwidth() / 2 : 0))
        .attr('width', (e) => Math.max(0.5, x(e.start + e.dur) - x(e.start)))
        .attr('height', y.bandwidth() / 2)
        .select('title')
        .text((e) => `${e.label}: ${fmt(e.dur)} ${s.unit} from ${fmt(e.start)} ${s.unit}`);
      const hidden = units.size - devices.length;
      return {
        head: ['unit', 'kind', 'what', `start (${s.unit})`, `duration (${s.unit})`],
        rows: [
          ...events.slice(0, 400).map((e) => [String(e.device), e.kind, e.label, fmt(e.start, 4), fmt(e.dur, 4)]),
          ...(hidden > 0 ? [[`${hidden} more units not drawn`, '', '', '', '']] : []),
        ],
      };
    },
  };
}

export const waferTimeline = timelineChart('wafer');
export const clusterTimeline = timelineChart('cluster');
