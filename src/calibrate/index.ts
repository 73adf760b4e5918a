// `calibrate`: nccl-tests / rccl-tests logs in, per series the fitted custom link, the query that carries it into
// the model, and measured against modelled time per size out — as text, JSON and an exit code. Pure: the CLI
// reads the files and writes the outputs, and the page can call it on pasted text.

import { calibrateLink, FitError, isFit, qualityOf, formulaUs, shapeOf, type Calibration, type FitCollective, type Group } from './fit.ts';
import { signed, us } from './format.ts';
import { ParseError, parseLog, type Series } from './parse.ts';
import { modelTimes, queryFor, tflopsFor } from './query.ts';

export interface CalibrateFile {
  name: string;
  text: string;
}

export interface CalibrateOptions {
  /** Fit the in-place times instead of the out-of-place ones. */
  inplace?: boolean;
  /** One link for all series together (base and alpha separate when they differ in collective or rank count). */
  joint?: boolean;
}

export interface PointReport {
  bytes: number;
  measuredUs: number;
  modelUs: number;
  /** (model − measured) / measured. */
  error: number;
  /** Whether this size was fitted (sizes below 1 MiB are set aside when they follow another line). */
  fitted: boolean;
}

export interface SeriesReport {
  file: string;
  line: number;
  test: string;
  /** null when no query reproduces the fit (more ranks than one node of the model holds). */
  query: string | null;
  fit: {
    baseUs: number;
    alphaUs: number;
    gbps: number;
    /** Over the fitted sizes, of the model on the query. */
    rmsError: number;
    maxError: number;
    maxErrorAbove1MiB: number | null;
    /** Where the largest errors are, bytes. */
    worstBytes: number;
    worstBytesAbove1MiB: number | null;
    /** base and alpha told apart (several collectives or rank counts fitted together). */
    separable: boolean;
    /** Smallest size fitted, bytes (0: all). */
    fittedFromBytes: number;
    timing: 'out-of-place' | 'in-place';
    /** Sizes below 1 MiB on their own line when set aside: latency µs and GB/s (not in the query). */
    small: { latencyUs: number; gbps: number } | null;
  };
  ranks: number;
  nodes: number;
  device: string;
  collective: FitCollective;
  tflops: number;
  points: PointReport[];
  notes: string[];
}

export interface CalibrateOutput {
  /** 0 success; 2 a line that cannot be read, a series that cannot be fitted, or nothing to fit. */
  code: 0 | 2;
  stdout: string;
  stderr: string;
  /** One report, or an array for several; null on failure. */
  json: SeriesReport | SeriesReport[] | null;
}

export function runCalibrate(files: CalibrateFile[], opts: CalibrateOptions = {}): CalibrateOutput {
  const errors: string[] = [];
  const parsed: Series[] = [];
  for (const f of files) {
    try {
      parsed.push(...parseLog(f.text, f.name));
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      errors.push(e.message);
    }
  }
  const out = calibrateSeries(parsed, opts);
  errors.push(...out.errors);
  if (!errors.length && !out.reports.length) errors.push(`${files.map((f) => f.name).join(', ') || '(no files)'}: nothing to fit`);
  const stderr = [...out.notes.map((n) => `note: ${n}`), ...errors.map((e) => `wafer-bench: ${e}`)].map((l) => l + '\n').join('');
  return {
    code: errors.length ? 2 : 0,
    stdout: out.reports.map(formatReport).join('\n'),
    stderr,
    json: errors.length ? null : out.reports.length === 1 ? out.reports[0]! : out.reports,
  };
}

/** What calibrateSeries makes of parsed series: a report per fitted series, and FILE:LINE errors and notes. */
export interface SeriesCalibration {
  reports: SeriesReport[];
  errors: string[];
  notes: string[];
}

/**
 * The fit of parsed series (runCalibrate's body after parsing, also the page's): per series the link, its query and
 * measured against model; a series that cannot be fitted is an error naming its FILE:LINE, the others still fit.
 */
export function calibrateSeries(parsed: Series[], opts: CalibrateOptions = {}): SeriesCalibration {
  const errors: string[] = [];
  const notes: string[] = [];
  const series: { s: Series; group: Group }[] = [];
  const timing = opts.inplace ? 'in-place' : 'out-of-place';
  for (const s of parsed) {
    const at = `${s.file}:${s.line}`;
    if (!isFit(s.collective)) {
      notes.push(`${at}: ${s.test}: skipped; the model prices all_reduce, all_gather, reduce_scatter and broadcast`);
      continue;
    }
    if (s.ranks < 2) {
      errors.push(`${at}: the log lists ${s.ranks} rank(s) ("#  Rank N … device …" lines); a fit needs the rank count, 2 or more`);
      continue;
    }
    const missing = opts.inplace ? s.rows.find((r) => !r.inPlace) : undefined;
    if (missing) {
      errors.push(`${s.file}:${missing.line}: --inplace asks for in-place times; this table has none`);
      continue;
    }
    const points = s.rows.map((r) => ({ bytes: r.bytes, us: (opts.inplace ? r.inPlace! : r.outOfPlace).timeUs }));
    series.push({ s, group: { collective: s.collective, ranks: s.ranks, points } });
  }
  const fits = new Map<Series, Calibration>();
  const fitOrFail = (groups: Group[], at: string): Calibration | null => {
    try {
      return calibrateLink(groups);
    } catch (e) {
      if (!(e instanceof FitError)) throw e;
      errors.push(`${at}: cannot fit: ${e.message}`);
      return null;
    }
  };
  if (opts.joint && series.length) {
    const c = fitOrFail(
      series.map((x) => x.group),
      series.map((x) => `${x.s.file}:${x.s.line}`).join(', '),
    );
    if (c) for (const x of series) fits.set(x.s, c);
  } else {
    for (const x of series) {
      const c = fitOrFail([x.group], `${x.s.file}:${x.s.line}`);
      if (c) fits.set(x.s, c);
    }
  }
  const reports = series
    .filter((x) => fits.has(x.s))
    .map((x) => report(x.s, x.group, fits.get(x.s)!, timing, opts.joint ? series.length : 1));
  return { reports, errors, notes };
}

function report(s: Series, g: Group, c: Calibration, timing: SeriesReport['fit']['timing'], together: number): SeriesReport {
  const notes: string[] = [];
  const { tflops, note } = tflopsFor(s.deviceNames);
  const nodes = s.hosts.length;
  const sizes = g.points.map((p) => p.bytes);
  const q = queryFor(c.link, s.ranks, nodes, sizes, tflops);
  const pos = g.points.filter((p) => p.bytes > 0 && p.us > 0);
  const model = q.config
    ? modelTimes(
        q.config,
        g.collective,
        pos.map((p) => p.bytes),
      )
    : pos.map((p) => formulaUs(c.link, g.collective, g.ranks, p.bytes));
  const points: PointReport[] = pos.map((p, i) => ({
    bytes: p.bytes,
    measuredUs: p.us,
    modelUs: model[i]!,
    error: (model[i]! - p.us) / p.us,
    fitted: p.bytes >= c.fromBytes,
  }));
  const quality = qualityOf(points.filter((p) => p.fitted));
  const steps = shapeOf(g.collective, g.ranks).steps;
  if (together > 1)
    notes.push(
      `one link fitted to ${together} series together; ${c.link.separable ? 'their step counts differ, so base and alpha are told apart' : 'they share one step count, so base holds base + steps × alpha and alpha is 0'}`,
    );
  else
    notes.push(
      `one collective on one rank count: base and alpha cannot be told apart, so base holds base + ${steps} steps × alpha and alpha is 0 (fit several with --joint to separate them)`,
    );
  for (const t of c.link.dropped) notes.push(`${t} came out negative and was fitted as 0`);
  if (c.oneLine) {
    const small = c.small
      ? `; the sizes below 1 MiB follow a line of their own (${us(c.small.baseUs)} µs, ${gb(c.small.gbps)} GB/s), which the one link of a query cannot also carry`
      : '';
    notes.push(
      `fitted to the sizes ≥ 1 MiB: one line through all sizes is ${pct(c.oneLine.maxErrorAbove1MiB)} off at ${size(c.oneLine.worstBytes)}, as NCCL changes protocol and algorithm with size${small}`,
    );
  }
  notes.push(...q.notes, note);
  if (g.collective !== 'all_reduce' && q.query)
    notes.push(
      `the query's workload=allreduce sweep prices all-reduce on this link; the ${s.test} times here are the same model's ${g.collective.replace('_', '-')}`,
    );
  if (s.collectiveFrom !== 'banner') notes.push(`collective read from the ${s.collectiveFrom} (no "# Collective test starting" line)`);
  return {
    file: s.file,
    line: s.line,
    test: s.test,
    query: q.query,
    fit: {
      baseUs: c.link.baseUs,
      alphaUs: c.link.alphaUs,
      gbps: c.link.gbps,
      rmsError: quality.rmsError,
      maxError: quality.maxError,
      maxErrorAbove1MiB: quality.maxErrorAbove1MiB,
      worstBytes: quality.worstBytes,
      worstBytesAbove1MiB: quality.worstBytesAbove1MiB,
      separable: c.link.separable,
      fittedFromBytes: c.fromBytes,
      timing,
      small: c.small ? { latencyUs: c.small.baseUs, gbps: c.small.gbps } : null,
    },
    ranks: s.ranks,
    nodes,
    device: s.deviceNames[0] ?? '',
    collective: g.collective,
    tflops,
    points,
    notes,
  };
}

const gb = (x: number): string => (x >= 100 ? x.toFixed(1) : x.toFixed(2));
const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

/** Bytes in binary units, as nccl-tests sizes are powers of two: 8 B, 1 KiB, 8 GiB. */
function size(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = b;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number(v.toPrecision(3))} ${units[i]}`;
}

function formatReport(r: SeriesReport): string {
  const f = r.fit;
  const hosts = r.nodes === 1 ? '1 node' : `${r.nodes} nodes`;
  const fitted = r.points.filter((p) => p.fitted);
  const below = r.points.filter((p) => !p.fitted);
  const worstBelow = below.reduce((m, p) => Math.max(m, Math.abs(p.error)), 0);
  const lines = [
    `${r.file}:${r.line}  ${r.test}, ${r.ranks} ranks on ${hosts}, ${r.device || 'device not named'} (${f.timing} times)`,
    `  link   base ${us(f.baseUs)} µs per collective, alpha ${us(f.alphaUs)} µs per step, gbps ${gb(f.gbps)} GB/s per GPU per direction`,
    f.fittedFromBytes
      ? `  error  on the ${fitted.length} sizes fitted (≥ ${size(f.fittedFromBytes)}): rms ${pct(f.rmsError)}, max ${pct(f.maxError)} at ${size(f.worstBytes)}${below.length ? `; on the ${below.length} below, not fitted: up to ${pct(worstBelow)}` : ''}`
      : `  error  on all ${fitted.length} sizes: rms ${pct(f.rmsError)}, max ${pct(f.maxError)} at ${size(f.worstBytes)}${f.worstBytesAbove1MiB !== null ? `; at ≥ 1 MiB max ${pct(f.maxErrorAbove1MiB)} at ${size(f.worstBytesAbove1MiB)}` : ''}`,
    `  query  ${r.query ?? '(none)'}`,
    ...r.notes.map((n) => `  note   ${n}`),
  ];
  const rows = r.points.map((p) => [
    String(p.bytes),
    size(p.bytes),
    us(p.measuredUs),
    us(p.modelUs),
    signed(p.error),
    p.fitted ? '' : 'below the fitted sizes',
  ]);
  const head = ['bytes', 'size', 'measured µs', 'model µs', 'error', ''];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i]!.length)));
  const fmtRow = (x: string[]) =>
    x
      .map((c, i) => (i === x.length - 1 ? c : c.padStart(w[i]!)))
      .join('  ')
      .trimEnd();
  return [...lines, '', fmtRow(head).replace(/^/, '  '), ...rows.map((x) => '  ' + fmtRow(x))].join('\n') + '\n';
}
