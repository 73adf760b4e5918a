// A result's timelines as Chrome Trace Event JSON (the JSON Object Format), which https://ui.perfetto.dev and
// chrome://tracing open: one process per view and run, threads per unit, transfers and collectives linked by flows.
// Pure: no DOM and no Node APIs, so the page and the CLIs share it.

import type { Result, RunRecord, TimelineEvent } from './result.ts';

/** One trace event. Times are µs (`ts`, `dur`), written at whole nanoseconds. */
export interface TraceEvent {
  /** 'X' complete slice, 'M' metadata, 's' / 'f' flow start / finish. */
  ph: 'X' | 'M' | 's' | 'f';
  name: string;
  pid: number;
  tid: number;
  /** µs from the start of the view. */
  ts: number;
  /** µs ('X' only). */
  dur?: number;
  cat?: string;
  /** Flow id, shared by one 's' and its 'f'. */
  id?: number;
  /** 'e': the flow end binds to the slice enclosing `ts`. */
  bp?: 'e';
  args?: Record<string, unknown>;
}

/** What one process of the trace shows (in `metadata.processes`). */
export interface TraceProcess {
  pid: number;
  name: string;
  view: 'target' | 'emulated' | 'measured';
  mode: RunRecord['mode'];
  units: number;
  /** Complete events written, and events left out (start or duration not finite, or a negative duration). */
  events: number;
  skipped: number;
  /** µs added to every time of this process so that none is negative (0 when none was). */
  shiftUs: number;
}

export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ns';
  metadata: {
    tool: string;
    version: string;
    schema: number;
    startedAt: string;
    projection: boolean;
    backend: Result['env']['backend'];
    adapter: Result['env']['adapter'];
    config: Record<string, unknown>;
    processes: TraceProcess[];
  };
}

interface View {
  key: TraceProcess['view'];
  name: string;
  events: (r: RunRecord) => TimelineEvent[];
  /** µs per unit of the timeline's times. */
  usPer: number;
}

/** The views, in the order their processes are listed: the target's projection first. */
const kViews: View[] = [
  { key: 'target', name: 'target', events: (r) => r.targetTimeline ?? [], usPer: 1 },
  { key: 'emulated', name: 'your GPU as the unit (emulated)', events: (r) => r.timeline, usPer: 1e3 },
  { key: 'measured', name: 'measured here (workers sharing one GPU)', events: (r) => r.measuredTimeline, usPer: 1e3 },
];

/** A timeline event placed on a thread, its times in whole ns. */
interface Placed {
  e: TimelineEvent;
  /** Its index in the timeline: ties are broken by it. */
  index: number;
  startNs: number;
  durNs: number;
  tid: number;
}

/** Threads of one unit: lanes of compute (and idle) first, then of communication. */
const groupOf = (e: TimelineEvent): 0 | 1 => (e.kind === 'comm' ? 1 : 0);

/**
 * Lays events on threads so that no two slices of a thread overlap: the viewers require slices of a thread to nest,
 * while a unit may compute and communicate at once, or drive several transfers at once. A unit's first compute lane is
 * named after the unit ("tile 3"), its first comm lane "tile 3 · comm"; further lanes are numbered.
 */
function lanes(placed: Placed[], unitWord: string): { tid: number; name: string; sort: number }[] {
  // One record per lane, with where its last slice ends (ns); tids are assigned afterwards in unit, group, lane order.
  interface Lane {
    unit: number;
    group: 0 | 1;
    lane: number;
    endNs: number;
    tid: number;
  }
  const all: Lane[] = [];
  const open = new Map<string, Lane[]>();
  const laneOf = new Map<Placed, Lane>();
  const byStart = [...placed].sort((a, b) => a.startNs - b.startNs || a.index - b.index);
  for (const p of byStart) {
    const unit = p.e.device;
    const group = groupOf(p.e);
    const key = `${unit}:${group}`;
    const mine = open.get(key) ?? [];
    open.set(key, mine);
    let l = mine.find((x) => x.endNs <= p.startNs);
    if (!l) {
      l = { unit, group, lane: mine.length, endNs: 0, tid: 0 };
      mine.push(l);
      all.push(l);
    }
    l.endNs = p.startNs + p.durNs;
    laneOf.set(p, l);
  }
  all.sort((a, b) => a.unit - b.unit || a.group - b.group || a.lane - b.lane);
  all.forEach((l, i) => (l.tid = i + 1));
  for (const p of placed) p.tid = laneOf.get(p)!.tid;
  return all.map(({ unit, group, lane, tid }) => {
    const what = group === 0 ? (lane === 0 ? '' : ` · compute ${lane + 1}`) : lane === 0 ? ' · comm' : ` · comm ${lane + 1}`;
    return { tid, name: `${unitWord} ${unit}${what}`, sort: tid };
  });
}

/** ns → µs, exact to the ns in the JSON text. */
const us = (ns: number): number => ns / 1e3;

/** The slices, thread metadata and flows of one view of one run, as process `pid`. */
function processEvents(
  pid: number,
  view: View,
  run: RunRecord,
  name: string,
  ids: { last: number },
): { events: TraceEvent[]; info: TraceProcess } | null {
  const timeline = view.events(run);
  if (!timeline.length) return null;
  const nsPer = view.usPer * 1e3;
  const placed: Placed[] = [];
  timeline.forEach((e, index) => {
    const startNs = Math.round(e.start * nsPer);
    const durNs = Math.round(e.dur * nsPer);
    if (!Number.isFinite(startNs) || !Number.isFinite(durNs) || durNs < 0) return;
    placed.push({ e, index, startNs, durNs, tid: 0 });
  });
  // Measured times are relative to the step's start; an event that began before it moves the whole view.
  const shiftNs = Math.max(0, -placed.reduce((lo, p) => Math.min(lo, p.startNs), 0));
  for (const p of placed) p.startNs += shiftNs;
  const unitWord = run.mode === 'wafer' ? 'tile' : 'gpu';
  const threads = lanes(placed, unitWord);
  const events: TraceEvent[] = [
    { ph: 'M', name: 'process_name', pid, tid: 0, ts: 0, args: { name } },
    { ph: 'M', name: 'process_sort_index', pid, tid: 0, ts: 0, args: { sort_index: pid } },
  ];
  for (const t of threads) {
    events.push({ ph: 'M', name: 'thread_name', pid, tid: t.tid, ts: 0, args: { name: t.name } });
    events.push({ ph: 'M', name: 'thread_sort_index', pid, tid: t.tid, ts: 0, args: { sort_index: t.sort } });
  }
  // Slices per thread, by start (ties in timeline order).
  const sorted = [...placed].sort((a, b) => a.tid - b.tid || a.startNs - b.startNs || a.index - b.index);
  for (const p of sorted) {
    const args: Record<string, unknown> = { unit: p.e.device, bytes: p.e.bytes };
    if (p.e.node !== undefined) args.node = p.e.node;
    events.push({ ph: 'X', name: p.e.label, cat: p.e.kind, pid, tid: p.tid, ts: us(p.startNs), dur: us(p.durNs), args });
  }
  return {
    events: [...events, ...flows(pid, placed, ids)],
    info: {
      pid,
      name,
      view: view.key,
      mode: run.mode,
      units: run.units,
      events: placed.length,
      skipped: timeline.length - placed.length,
      shiftUs: us(shiftNs),
    },
  };
}

/**
 * Flows of the nodes that run on several units: from the unit that starts first (the sender, or the group's first
 * member, on a tie) to each other unit, one 's'/'f' pair each, both at the middle of their slice. Flow ids are
 * numbered across the whole trace, in output order.
 */
function flows(pid: number, placed: Placed[], ids: { last: number }): TraceEvent[] {
  const byNode = new Map<number, Placed[]>();
  for (const p of placed) {
    if (p.e.node === undefined || p.e.kind !== 'comm') continue;
    const list = byNode.get(p.e.node) ?? [];
    list.push(p);
    byNode.set(p.e.node, list);
  }
  const out: TraceEvent[] = [];
  const mid = (p: Placed): number => us(p.startNs + Math.floor(p.durNs / 2));
  for (const node of [...byNode.keys()].sort((a, b) => a - b)) {
    const list = byNode.get(node)!.sort((a, b) => a.startNs - b.startNs || a.index - b.index);
    const first = list[0]!;
    const seen = new Set([first.e.device]);
    for (const p of list) {
      if (seen.has(p.e.device)) continue;
      seen.add(p.e.device);
      const id = ++ids.last;
      const name = first.e.label;
      out.push({ ph: 's', name, cat: 'comm', id, pid, tid: first.tid, ts: mid(first) });
      out.push({ ph: 'f', bp: 'e', name, cat: 'comm', id, pid, tid: p.tid, ts: mid(p) });
    }
  }
  return out;
}

/** A process's name: the view, the side and its units (runs of a sweep differ by their units). */
function processName(view: View, run: RunRecord): string {
  const units = run.mode === 'wafer' ? `${run.units} tiles${run.tiles ? `, ${run.tiles}` : ''}` : `${run.units} GPUs`;
  return `${view.name} · ${run.mode} (${units})`;
}

/** The result's timelines as a Chrome trace: same result, same JSON. */
export function toTrace(result: Result): ChromeTrace {
  const ids = { last: 0 };
  const traceEvents: TraceEvent[] = [];
  const processes: TraceProcess[] = [];
  for (const view of kViews) {
    const names = result.runs.map((r) => processName(view, r));
    result.runs.forEach((run, i) => {
      const twin = names.indexOf(names[i]!) !== i || names.lastIndexOf(names[i]!) !== i;
      const name = twin ? `${names[i]} #${i + 1}` : names[i]!;
      const p = processEvents(processes.length + 1, view, run, name, ids);
      if (!p) return;
      for (const e of p.events) traceEvents.push(e);
      processes.push(p.info);
    });
  }
  return {
    traceEvents,
    displayTimeUnit: 'ns',
    metadata: {
      tool: result.tool,
      version: result.version,
      schema: result.schema,
      startedAt: result.startedAt,
      projection: result.projection === true,
      backend: result.env.backend,
      adapter: result.env.adapter,
      config: result.config,
      processes,
    },
  };
}
