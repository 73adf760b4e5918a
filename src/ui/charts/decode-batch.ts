// Decode: tokens per second per user against the batch, both sides (log-log), each with its band, hollow where the
// batch's KV cache no longer fits the side's memory; the vendor-reported speeds for the model drawn beside them as
// labelled reference points (crosses), never fitted to.

import * as d3 from 'd3';
import type { LlmCurvePoint, Result } from '../../engine/result.ts';
import { reportedFor, type ReportedPoint } from '../../workloads/llm/reported.ts';
import { fmt } from '../dom.ts';
import { kSideLabel } from '../labels.ts';
import { axis, legend, logTicks, shortNumber, sideSeries, type ChartInput, type ChartSpec, type Side } from './chart.ts';

const source = (i: ChartInput): Result | null => {
  const r = i.projection ?? i.shared;
  return r?.llmCurve?.length ? r : null;
};

export const decodeBatch: ChartSpec = {
  id: 'decode-batch',
  curve: true,
  title: (i) => `Decode of ${String(source(i)?.config.model ?? 'the model')}: tokens/s per user against batch (log-log)`,
  describe: () =>
    'Per side, the projected tokens per second each user sees at each batch size, with its band; hollow points do not fit the memory. Crosses are vendor-reported speeds for the same model, labelled with their systems.',
  applies: (i) => Boolean(source(i)),
  render(f, i) {
    const r = source(i)!;
    const curve = r.llmCurve!;
    const sides: Side[] = (['wafer', 'cluster'] as const).filter((s) => curve.some((p) => p[s]));
    const reported = reportedFor(String(r.config.model)).filter((p) => sides.includes(p.side));
    const vals = [
      ...curve.flatMap((p) => sides.flatMap((s) => (p[s] ? [p[s]!.lowPerUser, p[s]!.highPerUser] : []))),
      ...reported.map((p) => p.tokensPerSecondPerUser),
    ].filter((v) => v > 0 && Number.isFinite(v));
    const batches = [...curve.map((p) => p.batch), ...reported.map((p) => p.batch)];
    const x = d3
      .scaleLog()
      .base(2)
      .domain([Math.max(1, d3.min(batches) ?? 1), Math.max(2, d3.max(batches) ?? 2)])
      .range([0, f.innerW]);
    const y = d3
      .scaleLog()
      .domain([(d3.min(vals) ?? 1) / 1.5, (d3.max(vals) ?? 10) * 1.5])
      .range([f.innerH, 0]);
    axis(f, 'x', x, 'concurrent sequences (batch)', { values: curve.map((p) => p.batch), format: shortNumber as never });
    axis(f, 'y', y, 'tokens/s per user', { values: logTicks(y.domain()[0]!, y.domain()[1]!), format: shortNumber as never });
    sideSeries(
      f,
      sides,
      curve,
      (p) => x(p.batch),
      (p, s) => (p[s] ? { line: y(p[s].tokensPerSecondPerUser), low: y(p[s].lowPerUser), high: y(p[s].highPerUser) } : null),
    );
    const points = curve.flatMap((p) => sides.filter((s) => p[s]).map((s) => ({ s, p })));
    f.plot
      .selectAll<SVGCircleElement, { s: Side; p: LlmCurvePoint }>('circle.point')
      .data(points, (d) => `${d.s}${d.p.batch}`)
      .join((enter) => {
        const c = enter.append('circle').attr('r', 3.5);
        c.append('title');
        return c;
      })
      .attr('class', (d) => `point stroke-${d.s} ${d.p[d.s]!.fits ? `fill-${d.s}` : 'hollow'}`)
      .attr('cx', (d) => x(d.p.batch))
      .attr('cy', (d) => y(d.p[d.s]!.tokensPerSecondPerUser))
      .select('title')
      .text((d) => {
        const v = d.p[d.s]!;
        return `${kSideLabel[d.s]}, batch ${d.p.batch}: ${fmt(v.tokensPerSecondPerUser)} tokens/s per user (band ${fmt(v.lowPerUser)} – ${fmt(v.highPerUser)}), ${fmt(v.tokensPerSecond)} in all${v.fits ? '' : '; does not fit'}`;
      });
    f.plot
      .selectAll<SVGPathElement, ReportedPoint>('path.reported')
      .data(reported, (p) => `${p.side}${p.system}${p.batch}${p.tokensPerSecondPerUser}`)
      .join((enter) => {
        const p = enter.append('path');
        p.append('title');
        return p;
      })
      .attr('class', (p) => `reported stroke-${p.side} fill-${p.side}`)
      .attr('d', d3.symbol(d3.symbolCross, 56)() ?? '')
      .attr('transform', (p) => `translate(${x(p.batch)},${y(p.tokensPerSecondPerUser)}) rotate(45)`)
      .select('title')
      .text(
        (p) =>
          `Vendor-reported, ${p.system}: ${fmt(p.tokensPerSecondPerUser)} tokens/s per user at batch ${p.batch} (${p.note}; ${p.date})${p.secondary ? ' [secondary]' : ''}`,
      );
    legend(f, [
      ...sides.map((s) => ({ key: s, label: `${kSideLabel[s]} (projected)`, cls: `stroke-${s}` })),
      ...(reported.length ? [{ key: 'reported', label: '× vendor-reported', cls: 'neutral' }] : []),
    ]);
    return {
      head: ['batch', 'what', 'tokens/s per user', 'band', 'tokens/s in all', 'note'],
      rows: [
        ...curve.flatMap((p) =>
          sides
            .filter((s) => p[s])
            .map((s) => {
              const v = p[s]!;
              return [
                String(p.batch),
                `${kSideLabel[s]} (projected)`,
                fmt(v.tokensPerSecondPerUser),
                `${fmt(v.lowPerUser)} – ${fmt(v.highPerUser)}`,
                fmt(v.tokensPerSecond),
                v.fits ? '' : 'does not fit',
              ];
            }),
        ),
        ...reported.map((p) => [
          String(p.batch),
          `vendor-reported: ${p.system}`,
          fmt(p.tokensPerSecondPerUser),
          '—',
          '—',
          `${p.note}; ${p.date}${p.secondary ? ' [secondary]' : ''}. ${p.source}`,
        ]),
      ],
    };
  },
};
