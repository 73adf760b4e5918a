// Imported measurements: the published sweeps shipped with the page equal what the parser reads from the public logs
// they were copied from (so they cannot drift), and fit as the CLI fits those logs; chart series from logs and from
// a torch companion result; and what a shared link may carry, bounded and truncated, checked by the result schema.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { calibrateSeries, runCalibrate, type SeriesReport } from '../../src/calibrate/index.ts';
import { parseLog } from '../../src/calibrate/parse.ts';
import { kPublished } from '../../src/calibrate/published.ts';
import { kMaxImportedLabel, kMaxImportedPoints, kMaxImportedSeries, parseResult } from '../../src/engine/result-schema.ts';
import {
  boundForShare,
  busbwOf,
  describeResult,
  plain,
  seriesOfLog,
  seriesOfPublished,
  seriesOfResult,
  shortDevice,
  thin,
  uniqueLabels,
  type ImportedSeries,
} from '../../src/ui/imported.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/nccl-tests/${name}`, import.meta.url), 'utf8');
const torchJson = readFileSync(new URL('../fixtures/results/torch_gloo_2ranks_cpu_allreduce.json', import.meta.url), 'utf8');

describe('published sweeps', () => {
  it('offers the three sweeps: 8×H100 one node, 32×H100 four nodes, 8×MI300X', () => {
    expect(kPublished.map((p) => [p.id, p.ranks, p.hosts.length])).toEqual([
      ['h100x8-nvlink', 8, 1],
      ['h100x32-ib', 32, 4],
      ['mi300x8', 8, 1],
    ]);
  });

  for (const p of kPublished)
    it(`${p.id}: the shipped points, ranks, hosts and device are what the parser reads from ${p.file}`, () => {
      const text = fixture(p.file);
      const series = parseLog(text, p.file).find((s) => s.line === p.line)!;
      expect(series, `a series at line ${p.line}`).toBeDefined();
      expect(series.test).toBe(p.test);
      expect(series.collective).toBe(p.collective);
      expect(series.ranks).toBe(p.ranks);
      expect(series.hosts).toEqual(p.hosts);
      expect(series.deviceNames).toEqual([p.device]);
      expect(p.points).toEqual(series.rows.map((r) => ({ bytes: r.bytes, timeUs: r.outOfPlace.timeUs, busbw: r.outOfPlace.busbw })));
      // The source is the one the log names.
      expect(text.split('\n').filter((l) => l.startsWith('# source: '))).toContain(`# source: ${p.source}`);
      expect(p.source).toMatch(/^https:\/\/github\.com\//);
    });

  it('fit exactly as npm run calibrate fits the log they come from', () => {
    for (const p of kPublished) {
      const cli = runCalibrate([{ name: p.file, text: fixture(p.file) }]);
      expect(cli.code, cli.stderr).toBe(0);
      const fromLog = ([cli.json].flat() as SeriesReport[]).find((r) => r.line === p.line)!;
      const shipped = calibrateSeries([seriesOfPublished(p)]);
      expect(shipped.errors).toEqual([]);
      const r = shipped.reports[0]!;
      expect(r.query).toBe(fromLog.query);
      expect(r.fit).toEqual(fromLog.fit);
      expect(r.points).toEqual(fromLog.points);
    }
  });
});

describe('series for the chart', () => {
  it('a log: one point per row, busbw from the time as nccl-tests computes it, the label naming ranks, device and test', () => {
    const name = 'h100_8gpu_1node_allreduce_voltagepark_nccl2.24.3.log';
    const [s] = parseLog(fixture(name), name);
    const o = seriesOfLog(s!);
    expect(o.label).toBe('imported: 8 × H100, all_reduce_perf (out-of-place)');
    expect(o.source).toBe(`${name}, line 22`);
    expect(o.points).toHaveLength(31);
    // The printed busbw is rounded to 0.01 GB/s: the recomputed one agrees with it to that rounding.
    s!.rows.forEach((r, i) => expect(Math.abs(o.points[i]!.busbw - r.outOfPlace.busbw)).toBeLessThan(0.006 + r.outOfPlace.busbw * 1e-3));
    expect(o.points[0]!.busbw).toBeGreaterThan(0); // printed as 0.00
    expect(busbwOf('all_gather', 4, 4e9, 1e4)).toBeCloseTo(300, 9);
    expect(shortDevice('AMD Instinct MI300X')).toBe('MI300X');
    expect(shortDevice('Some <b>GPU</b>')).toBe('Some <b>GPU</b>'); // text, drawn with textContent
  });

  it('a multi-node log says so; a log without "# Rank" lines keeps the printed busbw', () => {
    const name = 'h100_32gpu_4node_ib_allreduce_allgather_voltagepark_nccl2.24.3.log';
    const [ar, ag] = parseLog(fixture(name), name);
    expect(seriesOfLog(ar!).label).toBe('imported: 32 × H100 on 4 nodes, all_reduce_perf (out-of-place)');
    expect(seriesOfLog(ag!).label).toBe('imported: 32 × H100 on 4 nodes, all_gather_perf (out-of-place)');
    const bare = fixture('h100_8gpu_1node_allreduce_voltagepark_nccl2.24.3.log').replace(/^#\s+Rank.*\n/gm, '');
    const [s] = parseLog(bare, 'bare.log');
    const o = seriesOfLog(s!);
    expect(o.label).toBe('imported: all_reduce_perf (out-of-place)');
    expect(o.points.map((p) => p.busbw)).toEqual(s!.rows.map((r) => r.outOfPlace.busbw));
  });

  it('a torch companion result: its measured rows, and what it is (backend, adapter, ranks)', () => {
    const r = parseResult(JSON.parse(torchJson));
    const [s, ...rest] = seriesOfResult(r, 'torch.json');
    expect(rest).toEqual([]);
    expect(s!.label).toBe('imported: torch.json, cluster 2 ranks (torch gloo, measured)');
    expect(s!.points).toEqual(r.collectives.map((c) => ({ bytes: c.bytes, timeUs: c.measuredTimeUs, busbw: c.measuredBusbw })));
    expect(describeResult(r)).toEqual({
      what: 'measured on a cluster with torch.distributed (gloo)',
      adapter: 'cpu, 2 ranks on 1 host (vm)',
      ranks: 2,
    });
  });

  it('labels are made unique against those on the chart', () => {
    const s = (label: string): ImportedSeries => ({ label, points: [] });
    expect(uniqueLabels([s('a'), s('a'), s('b')], ['b']).map((x) => x.label)).toEqual(['a', 'a (2)', 'b (2)']);
  });
});

describe('bounded for a shared link', () => {
  const big = (k: number, n: number, label = `series ${k}`): ImportedSeries => ({
    label,
    source: 'x'.repeat(2000),
    points: Array.from({ length: n }, (_, i) => ({ bytes: 2 ** (i + 3), timeUs: 10 + i, busbw: 1 + i })),
  });

  it(`at most ${kMaxImportedSeries} series of ${kMaxImportedPoints} points, the smallest and largest size kept; labels and sources cut`, () => {
    const out = boundForShare([big(0, 100, 'L'.repeat(300) + '\u202e\u0007'), ...Array.from({ length: 7 }, (_, k) => big(k + 1, 10))]);
    expect(out).toHaveLength(kMaxImportedSeries);
    expect(out[0]!.points).toHaveLength(kMaxImportedPoints);
    expect(out[0]!.points[0]!.bytes).toBe(8);
    expect(out[0]!.points.at(-1)!.bytes).toBe(2 ** 102);
    expect(new Set(out[0]!.points.map((p) => p.bytes)).size).toBe(kMaxImportedPoints);
    expect(out[0]!.label).toHaveLength(kMaxImportedLabel);
    expect(out[0]!.label.endsWith('…')).toBe(true);
    expect(out[0]!.source!.length).toBeLessThanOrEqual(500);
    expect(out[1]!.points).toHaveLength(10);
    expect(plain('a\u202eb\u0000c', 10)).toBe('a\uFFFDb\uFFFDc');
    // What the link carries passes the schema of results from outside.
    const r = parseResult({ ...JSON.parse(torchJson), imported: out });
    expect(r.imported).toHaveLength(kMaxImportedSeries);
  });

  it('drops points that are not finite and positive, and series left empty', () => {
    const out = boundForShare([
      {
        label: 'a',
        points: [
          { bytes: 8, timeUs: 1, busbw: NaN },
          { bytes: 16, timeUs: 1, busbw: 0 },
          { bytes: 32, timeUs: 2, busbw: 3 },
        ],
      },
      { label: 'b', points: [{ bytes: 8, timeUs: Infinity, busbw: 1 }] },
    ]);
    expect(out).toEqual([{ label: 'a', points: [{ bytes: 32, timeUs: 2, busbw: 3 }] }]);
  });

  it('thins evenly', () => {
    expect(thin([1, 2, 3, 4, 5], 3)).toEqual([1, 3, 5]);
    expect(thin([1, 2], 5)).toEqual([1, 2]);
  });

  it('the schema refuses more than a link may carry, naming the field', () => {
    const base = JSON.parse(torchJson);
    const small = (k: number, n: number) => ({ ...big(k, n), source: 'log' });
    expect(() => parseResult({ ...base, imported: Array.from({ length: 6 }, (_, k) => small(k, 2)) })).toThrow(/field imported: /);
    expect(() => parseResult({ ...base, imported: [small(0, 65)] })).toThrow(/field imported\.0\.points: /);
    expect(() => parseResult({ ...base, imported: [{ label: 'x'.repeat(121), points: [] }] })).toThrow(/field imported\.0\.label: /);
    expect(() => parseResult({ ...base, imported: [{ label: 'x', points: [{ bytes: 8, timeUs: null, busbw: 1 }] }] })).toThrow(
      /field imported\.0\.points\.0\.timeUs: /,
    );
    // Without the field a result is what it was.
    expect(parseResult(base).imported).toBeUndefined();
  });
});
