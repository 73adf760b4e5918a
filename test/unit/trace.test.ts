// Timelines exported as Chrome Trace Event JSON: every event well formed, every process and thread named, slices of
// a thread sorted and not overlapping, flows in matched pairs that land inside a slice, one slice per finite timeline
// event, and the same result giving the same JSON.

import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../src/config/params.ts';
import type { Result, RunRecord, TimelineEvent } from '../../src/engine/result.ts';
import { toTrace, type ChromeTrace, type TraceEvent } from '../../src/engine/trace.ts';
import { predict } from '../../src/model/predict.ts';

const projection = (query: string): Result => {
  const parsed = parseQuery(query);
  expect(parsed.errors).toEqual([]);
  return predict(parsed.config);
};

const ev = (
  device: number,
  kind: TimelineEvent['kind'],
  label: string,
  start: number,
  dur: number,
  node?: number,
  bytes = 0,
): TimelineEvent => (node === undefined ? { device, kind, label, start, dur, bytes } : { node, device, kind, label, start, dur, bytes });

/** A local run of two sides, by hand: times in ms; compute overlaps communication; a few events are not finite. */
function handMade(): Result {
  const base = projection('m=256&n=256&k=256&shards=4');
  const [wafer, cluster] = base.runs as [RunRecord, RunRecord];
  const waferTimeline = [
    ev(0, 'compute', 'matmul 1/2', 0, 0.4, 0),
    ev(0, 'comm', 'A panel to tile 1', 0.1, 0.2, 1, 4096), // sender of node 1
    ev(1, 'comm', 'A panel to tile 1', 0.1, 0.2, 1, 4096),
    ev(0, 'comm', 'B panel to tile 2', 0.15, 0.3, 2, 4096), // overlaps the first transfer on tile 0
    ev(2, 'comm', 'B panel to tile 2', 0.15, 0.3, 2, 4096),
    ev(1, 'compute', 'matmul 1/2', 0.3, 0.4, 3),
    ev(1, 'idle', 'waiting', 0.7, 0.05),
    ev(2, 'compute', 'matmul 1/2', NaN, 0.4, 4), // left out
    ev(3, 'compute', 'matmul 1/2', 0.2, -1, 5), // left out
    ev(0, 'compute', 'matmul 2/2', 0.4, 0.4, 6),
  ];
  const waferMeasured = [
    ev(1, 'comm', 'A panel to tile 1', -0.05, 0.5, 1, 4096), // began before the step: the view shifts by 50 µs
    ev(0, 'comm', 'A panel to tile 1', 0.02, 0.3, 1, 4096),
    ev(0, 'compute', 'matmul 1/2', 0, 1.2, 0),
    ev(1, 'compute', 'matmul 1/2', 0.5, Infinity, 3), // left out
  ];
  const clusterTimeline = [
    ev(2, 'compute', 'matmul (K slice)', 0, 1, 0),
    ev(0, 'compute', 'matmul (K slice)', 0, 1, 1),
    ev(1, 'compute', 'matmul (K slice)', 0, 1.5, 2),
    ev(0, 'comm', 'reduce-scatter C', 1.5, 2, 3, 65536),
    ev(1, 'comm', 'reduce-scatter C', 1.5, 2, 3, 65536),
    ev(2, 'comm', 'reduce-scatter C', 1.5, 2, 3, 65536),
    ev(0, 'compute', 'epilogue', 0.5, 0.1), // no node: nested in time under the matmul, on a lane of its own
  ];
  return {
    ...base,
    projection: undefined,
    runs: [
      { ...wafer, timeline: waferTimeline, measuredTimeline: waferMeasured },
      { ...cluster, timeline: clusterTimeline, measuredTimeline: [] },
    ],
  };
}

const finiteEvents = (r: Result): number =>
  r.runs
    .flatMap((x) => [...(x.targetTimeline ?? []), ...x.timeline, ...x.measuredTimeline])
    .filter((e) => Number.isFinite(e.start) && Number.isFinite(e.dur) && e.dur >= 0).length;

const ns = (us: number): number => Math.round(us * 1e3);

/** Checks a trace against the JSON Object Format and the viewers' rules; returns its slices by thread. */
function checkFormat(t: ChromeTrace): Map<string, TraceEvent[]> {
  expect(t.displayTimeUnit).toBe('ns');
  const processNames = new Set<number>();
  const threadNames = new Set<string>();
  const threads = new Map<string, TraceEvent[]>();
  for (const e of t.traceEvents) {
    expect(typeof e.ph).toBe('string');
    expect(Number.isInteger(e.pid) && Number.isInteger(e.tid), JSON.stringify(e)).toBe(true);
    expect(typeof e.ts === 'number' && Number.isFinite(e.ts) && e.ts >= 0, JSON.stringify(e)).toBe(true);
    expect(typeof e.name).toBe('string');
    if (e.ph === 'M' && e.name === 'process_name') processNames.add(e.pid);
    if (e.ph === 'M' && e.name === 'thread_name') threadNames.add(`${e.pid}/${e.tid}`);
    if (e.ph === 'M') expect(e.args).toBeDefined();
    if (e.ph === 'X') {
      expect(typeof e.dur === 'number' && Number.isFinite(e.dur) && e.dur >= 0, JSON.stringify(e)).toBe(true);
      expect(['compute', 'comm', 'idle']).toContain(e.cat);
      expect(typeof e.args?.bytes).toBe('number');
      const key = `${e.pid}/${e.tid}`;
      if (!threads.has(key)) threads.set(key, []);
      threads.get(key)!.push(e);
    }
  }
  for (const e of t.traceEvents) {
    if (e.ph === 'M') continue;
    expect(processNames.has(e.pid), `pid ${e.pid} named`).toBe(true);
    expect(threadNames.has(`${e.pid}/${e.tid}`), `tid ${e.pid}/${e.tid} named`).toBe(true);
  }
  // Per thread: sorted by start, and no slice starts before the previous one ends (the viewers need nesting).
  for (const [key, slices] of threads) {
    for (let i = 1; i < slices.length; i++) {
      const a = slices[i - 1]!;
      const b = slices[i]!;
      expect(b.ts, key).toBeGreaterThanOrEqual(a.ts);
      expect(ns(b.ts), key).toBeGreaterThanOrEqual(ns(a.ts) + ns(a.dur!));
    }
  }
  // Flows: one 's' and one 'f' (bound to the enclosing slice) per id, each inside a slice of its thread.
  const flows = new Map<number, TraceEvent[]>();
  for (const e of t.traceEvents.filter((x) => x.ph === 's' || x.ph === 'f')) {
    expect(typeof e.id).toBe('number');
    if (!flows.has(e.id!)) flows.set(e.id!, []);
    flows.get(e.id!)!.push(e);
    const slices = threads.get(`${e.pid}/${e.tid}`) ?? [];
    expect(
      slices.some((x) => x.ts <= e.ts && e.ts <= x.ts + x.dur!),
      `flow ${e.ph} ${e.id} inside a slice`,
    ).toBe(true);
  }
  for (const [id, pair] of flows) {
    expect(pair.map((x) => x.ph).sort(), `flow ${id}`).toEqual(['f', 's']);
    const [s, f] = pair[0]!.ph === 's' ? pair : [pair[1]!, pair[0]!];
    expect(f!.bp).toBe('e');
    expect(s!.cat).toBe('comm');
    expect(f!.cat).toBe(s!.cat);
    expect(f!.name).toBe(s!.name);
    expect(f!.pid).toBe(s!.pid);
    expect(`${f!.tid}`).not.toBe(`${s!.tid}`);
  }
  expect(JSON.parse(JSON.stringify(t))).toEqual(t);
  return threads;
}

const processNamed = (t: ChromeTrace, pid: number): string =>
  t.traceEvents.find((e) => e.ph === 'M' && e.name === 'process_name' && e.pid === pid)!.args!.name as string;
const threadNamed = (t: ChromeTrace, pid: number, tid: number): string =>
  t.traceEvents.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === pid && e.tid === tid)!.args!.name as string;
const slicesOf = (t: ChromeTrace, pid: number): TraceEvent[] => t.traceEvents.filter((e) => e.ph === 'X' && e.pid === pid);

describe('Chrome trace export', () => {
  it('a projection: the target view of each side, in µs, with flows between the units of each transfer', () => {
    const r = projection('m=256&n=256&k=256&shards=4');
    const t = toTrace(r);
    checkFormat(t);
    expect(t.traceEvents.filter((e) => e.ph === 'X')).toHaveLength(finiteEvents(r));
    expect(t.metadata.processes.map((p) => p.name)).toEqual(['target · wafer (4 tiles, 2x2)', 'target · cluster (4 GPUs)']);
    expect(t.metadata.config).toEqual(r.config);
    expect(t.metadata.version).toBe(r.version);
    expect(t.metadata.adapter).toEqual(r.env.adapter);
    // The target timeline is in µs already: the wafer's step ends where its record says.
    const end = Math.max(...slicesOf(t, 1).map((e) => e.ts + e.dur!));
    expect(end).toBeCloseTo(r.runs[0]!.target!.stepUs, 2);
    // The cluster's reduce-scatter links GPU 0 to each of the other three.
    const rs = t.traceEvents.filter((e) => e.pid === 2 && e.ph === 'f' && e.name === 'reduce-scatter C');
    expect(rs.map((e) => threadNamed(t, 2, e.tid)).sort()).toEqual(['gpu 1 · comm', 'gpu 2 · comm', 'gpu 3 · comm']);
  });

  it('a local run: processes in view order, ms turned into µs, lanes where a unit overlaps, non-finite events left out', () => {
    const r = handMade();
    const t = toTrace(r);
    checkFormat(t);
    expect(t.traceEvents.filter((e) => e.ph === 'X')).toHaveLength(finiteEvents(r));
    const names = t.metadata.processes.map((p) => p.name);
    expect(names).toEqual([
      'target · wafer (4 tiles, 2x2)',
      'target · cluster (4 GPUs)',
      'your GPU as the unit (emulated) · wafer (4 tiles, 2x2)',
      'your GPU as the unit (emulated) · cluster (4 GPUs)',
      'measured here (workers sharing one GPU) · wafer (4 tiles, 2x2)',
    ]);
    const sorts = t.traceEvents.filter((e) => e.name === 'process_sort_index').map((e) => [e.pid, e.args!.sort_index]);
    expect(sorts).toEqual(names.map((_, i) => [i + 1, i + 1]));
    expect(t.metadata.processes.map((p) => [p.events, p.skipped, p.shiftUs])).toEqual([
      [24, 0, 0],
      [8, 0, 0],
      [8, 2, 0],
      [7, 0, 0],
      [3, 1, 50],
    ]);
    // Emulated wafer: 0.1 ms → 100 µs; tile 0 computes while two transfers overlap, so three lanes.
    const emu = slicesOf(t, 3);
    const tile0 = [...new Set(emu.filter((e) => e.args!.unit === 0).map((e) => threadNamed(t, 3, e.tid)))];
    expect(tile0).toEqual(['tile 0', 'tile 0 · comm', 'tile 0 · comm 2']);
    const a = emu.find((e) => e.name === 'A panel to tile 1' && e.args!.unit === 1)!;
    expect([a.ts, a.dur, a.cat, a.args]).toEqual([100, 200, 'comm', { unit: 1, bytes: 4096, node: 1 }]);
    // The transfer's flow runs from the sender (tile 0) to tile 1.
    const flowA = t.traceEvents.filter((e) => e.pid === 3 && e.name === 'A panel to tile 1' && (e.ph === 's' || e.ph === 'f'));
    expect(flowA.map((e) => [e.ph, threadNamed(t, 3, e.tid)])).toEqual([
      ['s', 'tile 0 · comm'],
      ['f', 'tile 1 · comm'],
    ]);
    expect(processNamed(t, 3)).toContain('emulated');
    // Measured: shifted by 50 µs, so the event that began before the step is at 0, and tile 1 starts the flow.
    const measured = slicesOf(t, 5);
    expect(Math.min(...measured.map((e) => e.ts))).toBe(0);
    const flowM = t.traceEvents.filter((e) => e.pid === 5 && e.ph === 's');
    expect(flowM.map((e) => threadNamed(t, 5, e.tid))).toEqual(['tile 1 · comm']);
    // The cluster's epilogue, which overlaps GPU 0's matmul, gets a compute lane of its own.
    expect(
      slicesOf(t, 4)
        .filter((e) => e.name === 'epilogue')
        .map((e) => threadNamed(t, 4, e.tid)),
    ).toEqual(['gpu 0 · compute 2']);
  });

  it('the same result gives the same JSON', () => {
    const r = handMade();
    const once = JSON.stringify(toTrace(r));
    expect(JSON.stringify(toTrace(structuredClone(r)))).toBe(once);
    expect(JSON.stringify(toTrace(r))).toBe(once);
  });

  it('a result with no timelines gives a trace with no events', () => {
    const r = { ...handMade(), runs: [] };
    const t = toTrace(r);
    expect(t.traceEvents).toEqual([]);
    expect(t.metadata.processes).toEqual([]);
  });

  it('the trace of a 64-unit GEMM projection is made in well under a second', () => {
    const r = projection('workload=gemm&m=8192&n=8192&k=8192&shards=64');
    const t0 = performance.now();
    const t = toTrace(r);
    const text = JSON.stringify(t);
    const ms = performance.now() - t0;
    expect(t.metadata.processes.map((p) => p.units)).toEqual([64, 64]);
    expect(t.traceEvents.filter((e) => e.ph === 'X')).toHaveLength(finiteEvents(r));
    expect(text.length).toBeGreaterThan(1e5);
    expect(ms).toBeLessThan(500);
    checkFormat(t);
  });
});
