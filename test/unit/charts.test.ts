// @vitest-environment happy-dom
// Every chart is a pure function of its input: SVG snapshots from fixture results (a projection made by the model
// for fixed configurations, and seeded run data), updates in place that keep their elements, data tables that
// match the marks, and a registry in which every chart has a test here.

import * as d3 from 'd3';
import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../src/config/params.ts';
import type { Result } from '../../src/engine/result.ts';
import { predict } from '../../src/model/predict.ts';
import { frameOf, writeTable, type ChartInput, type ChartSpec } from '../../src/ui/charts/chart.ts';
import { kCharts } from '../../src/ui/charts/index.ts';

const projection = (q: string): Result => ({ ...predict(parseQuery(q).config), startedAt: '2026-01-01T00:00:00.000Z' });

function input(more: Partial<ChartInput> = {}): ChartInput {
  return { projection: null, result: null, shared: null, live: [], imported: [], timeline: 'target', ...more };
}

/** Seeded per-iteration points, as a run reports them. */
function livePoints(n: number): ChartInput['live'] {
  const rnd = d3.randomLcg(42);
  return ['wafer', 'cluster'].flatMap((mode, m) =>
    Array.from({ length: n }, (_, i) => ({ mode, i, gflops: Math.round((1 + m + rnd()) * 100) / 100, hidden: i === 2 })),
  );
}

function draw(spec: ChartSpec, i: ChartInput): HTMLElement {
  const fig = document.createElement('figure');
  document.body.append(fig);
  const frame = frameOf(fig, spec, i, 640);
  writeTable(frame, spec.render(frame, i));
  return fig;
}

const byId = (id: string) => kCharts.find((c) => c.id === id)!;

const kFixtures: Record<string, () => ChartInput> = {
  'step-split': () => input({ projection: projection('m=1024&n=1024&k=1024&shards=4') }),
  'timeline-wafer': () => input({ projection: projection('m=256&n=256&k=256&shards=4') }),
  'timeline-cluster': () => input({ projection: projection('m=256&n=256&k=256&shards=4') }),
  bandwidth: () => input({ projection: projection('workload=allreduce&shards=8&tiles=2x4&minBytes=1024&maxBytes=67108864&factor=16') }),
  'size-sweep': () => input({ projection: projection('sweep=size&m=4096&n=4096&k=4096&shards=8') }),
  scaling: () => input({ projection: projection('sweep=shards&shards=16&m=2048&n=2048&k=2048') }),
  throughput: () => input({ live: livePoints(6) }),
  'token-split': () => input({ projection: projection('workload=decode&model=llama3-8b&shards=8') }),
  'decode-batch': () => input({ projection: projection('workload=decode&model=llama3-8b&shards=8') }),
};

describe('charts', () => {
  it('every chart in the registry has a fixture and a snapshot here', () => {
    expect(Object.keys(kFixtures).sort()).toEqual(kCharts.map((c) => c.id).sort());
  });

  for (const spec of kCharts) {
    it(`${spec.id}: applies to its fixture and draws the same SVG`, () => {
      const i = kFixtures[spec.id]!();
      expect(spec.applies(i)).toBe(true);
      const fig = draw(spec, i);
      expect(fig.querySelector('svg')!.outerHTML).toMatchSnapshot();
      // The data table has a row per datum and says the same numbers.
      expect(fig.querySelectorAll('details.data tbody tr').length).toBeGreaterThan(0);
      // Text is drawn at its stated size: the viewBox is the drawn size.
      const svg = fig.querySelector('svg')!;
      expect(svg.getAttribute('viewBox')).toBe(`0 0 ${svg.getAttribute('width')} ${svg.getAttribute('height')}`);
    });
  }

  it('a chart updates in place: the same elements carry the new data', () => {
    const spec = byId('throughput');
    const fig = draw(spec, input({ live: livePoints(3) }));
    const first = fig.querySelector('circle.point');
    const frame = frameOf(fig, spec, input({ live: livePoints(5) }), 640);
    writeTable(frame, spec.render(frame, input({ live: livePoints(5) })));
    expect(fig.querySelectorAll('circle.point').length).toBe(10);
    expect(fig.querySelector('circle.point')).toBe(first);
    expect(fig.querySelectorAll('svg').length).toBe(1);
  });

  it('iterations are whole numbers on the axis; hidden-tab iterations are hollow', () => {
    const fig = draw(byId('throughput'), input({ live: livePoints(12) }));
    const ticks = [...fig.querySelectorAll('.axis-x .tick text')].map((t) => t.textContent);
    expect(ticks.every((t) => /^\d+$/.test(t ?? ''))).toBe(true);
    expect(fig.querySelectorAll('circle.hollow').length).toBe(2);
  });

  it('one colour per side across charts: wafer and cluster marks carry their side’s class', () => {
    const split = draw(byId('step-split'), kFixtures['step-split']!());
    expect(split.querySelectorAll('rect.fill-wafer').length).toBe(1);
    expect(split.querySelectorAll('rect.fill-cluster').length).toBe(1);
    expect(split.querySelector('rect.comm')!.getAttribute('fill')).toMatch(/url\(#hatch-step-split-(wafer|cluster)\)/);
    const bw = draw(byId('bandwidth'), kFixtures.bandwidth!());
    expect(bw.querySelectorAll('path.series.stroke-wafer').length).toBe(1);
    expect(bw.querySelectorAll('path.series.stroke-cluster').length).toBe(1);
  });

  it('log axes label powers only, so values spanning orders of magnitude stay readable', () => {
    const fig = draw(byId('bandwidth'), kFixtures.bandwidth!());
    const labels = [...fig.querySelectorAll('.axis-y .tick text')].map((t) => t.textContent);
    expect(labels.length).toBeGreaterThan(1);
    expect(labels.every((l) => /^1|^10|^100|^[0-9.]+[kMGm]?$/.test(l ?? ''))).toBe(true);
  });

  it('a chart that does not apply says so (no data, no figure)', () => {
    for (const spec of kCharts) expect(spec.applies(input())).toBe(false);
  });
});
