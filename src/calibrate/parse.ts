// Reads the text that nccl-tests and rccl-tests print (all_reduce_perf, all_gather_perf, reduce_scatter_perf,
// broadcast_perf, reduce_perf): the run header, the ranks and their devices, and the result rows. Pure text
// handling, nothing evaluated, no DOM or Node APIs, so the page can reuse it; bounded in size and work.

/** Inputs longer than this (characters) are refused whole: real logs are kilobytes. */
export const kMaxInputChars = 10 * 1024 * 1024;
/** Result rows over all series of one input (a real log has tens; nccl-tests -d all -o all about two thousand). */
export const kMaxRows = 10_000;
/** A line inside a table longer than this cannot be a result row (a real row is about 130 characters). */
const kMaxRowChars = 1000;
/** Sizes above this (16 TiB) are not a measurement of any GPU's memory. */
const kMaxSizeBytes = 2 ** 44;
/** Times above this (about 11 days, µs) are not a per-operation average. */
const kMaxTimeUs = 1e12;

export type Collective = 'all_reduce' | 'all_gather' | 'reduce_scatter' | 'broadcast' | 'reduce';

/** One column group of a row: time in µs, algorithm and bus bandwidth in GB/s, wrong elements (null: N/A). */
export interface Measure {
  timeUs: number;
  algbw: number;
  busbw: number;
  wrong: number | null;
}

export interface Row {
  line: number;
  /** nccl-tests' size: bytes of the whole vector (the gathered output, the scattered input). */
  bytes: number;
  count: number;
  type: string;
  redop: string | null;
  root: number | null;
  outOfPlace: Measure;
  inPlace: Measure | null;
}

export interface Device {
  rank: number;
  host: string;
  device: number;
  bus: string;
  /** As printed, control characters replaced: plain text, never markup. */
  name: string;
  line: number;
}

export interface Series {
  file: string;
  /** Line of the first row. */
  line: number;
  /** The nccl-tests binary, when the log names it (`all_reduce_perf`), else what the rows imply. */
  test: string;
  /** null: a collective the model does not price (alltoall, sendrecv, …). */
  collective: Collective | null;
  collectiveFrom: 'banner' | 'columns' | 'file name';
  /** `# nThread 1 nGpus 8 minBytes 8 …` as name → value (numbers stay text). */
  header: Record<string, string>;
  devices: Device[];
  ranks: number;
  hosts: string[];
  /** Distinct device names, in rank order of first appearance. */
  deviceNames: string[];
  rows: Row[];
  /** `# Avg bus bandwidth : X` (GB/s), when printed. */
  avgBusBw: number | null;
}

/** Text that cannot be read: the file, the 1-based line and what was expected there. */
export class ParseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly what: string,
  ) {
    super(`${file}:${line}: ${what}`);
  }
}

/** Bytes per element of the types nccl-tests and rccl-tests print. */
const kTypeBytes: Readonly<Record<string, number>> = Object.freeze({
  int8: 1,
  uint8: 1,
  char: 1,
  f8e4m3: 1,
  f8e5m2: 1,
  fp8_e4m3: 1,
  fp8_e5m2: 1,
  half: 2,
  float16: 2,
  bfloat16: 2,
  int32: 4,
  uint32: 4,
  int: 4,
  float: 4,
  float32: 4,
  int64: 8,
  uint64: 8,
  double: 8,
  float64: 8,
});

/** Binaries whose results the model cannot price (parsed, reported as such). */
const kOtherTests = /^(alltoall|sendrecv|gather|scatter|hypercube|alltoallv)_perf$/;

/** Control and bidirectional-override characters: a log must not drive the terminal or reorder what is shown. */
export const clean = (s: string): string => s.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '\uFFFD');
const show = (s: string): string => JSON.stringify(clean(s.length > 40 ? s.slice(0, 40) + '…' : s));

const kUnsigned = /^\d{1,20}$/;
const kDecimal = /^(\d{1,20}(\.\d{0,20})?|\.\d{1,20})([eE][+-]?\d{1,3})?$/;
/** Warnings and chatter that launchers and libraries interleave with the table. */
const kNoise = /^(warning|warn|note|info|\[|-{3,}|={3,})|\b(NCCL|RCCL)\b/i;
/** The start of a result row: size, count, type. */
const kRowLike = /^[-+]?\d+\s+\d+\s+[A-Za-z]\w*\s/;
/** OpenMPI's aggregated help messages start with a number, like a row: "8 more processes have sent help message …". */
const kHelpMessage = /^\d+ more process(es)? ha(s|ve) sent help message\b/i;

type Column = 'size' | 'count' | 'type' | 'redop' | 'root' | 'time' | 'algbw' | 'busbw' | 'wrong';
const named = (cols: Column[]): string => cols.map((c) => (c === 'wrong' ? '#wrong' : c)).join(' ');

/** The table's columns from its header line, or null when the line is not one. */
function columnsOf(text: string): Column[] | null {
  const toks = text
    .replace(/^#/, '')
    .trim()
    .split(/\s+/)
    .map((t) => t.toLowerCase().replace(/\.+$/, ''));
  if (toks[0] !== 'size' || toks[1] !== 'count' || toks[2] !== 'type') return null;
  const out: Column[] = ['size', 'count', 'type'];
  let i = 3;
  for (const opt of ['redop', 'root'] as const) if (toks[i] === opt) out.push(toks[i++] as Column);
  const groups = (toks.length - i) / 4;
  if (groups !== 1 && groups !== 2) return [];
  for (let g = 0; g < groups; g++, i += 4) {
    const [t, a, b, w] = toks.slice(i, i + 4);
    if (t !== 'time' || a !== 'algbw' || b !== 'busbw' || (w !== '#wrong' && w !== 'error' && w !== 'wrong')) return [];
    out.push('time', 'algbw', 'busbw', 'wrong');
  }
  return out;
}

interface Run {
  banner: string | null;
  bannerLine: number;
  header: Record<string, string>;
  devices: Device[];
  columns: Column[] | null;
  /** The line of the comment that ended the table, if one did. */
  endedAt: number;
  rows: Row[];
  avgBusBw: number | null;
}

const newRun = (from?: Run): Run => ({
  banner: from?.banner ?? null,
  bannerLine: from?.bannerLine ?? 0,
  header: from ? { ...from.header } : {},
  devices: from ? [...from.devices] : [],
  columns: null,
  endedAt: 0,
  rows: [],
  avgBusBw: null,
});

/**
 * The series of one log: one per run (a log may hold several, each with its own header or device list), and within
 * a table one per (type, redop) when nccl-tests was asked for several. Throws ParseError for anything in a table it
 * cannot read, for a log with no table, and for input past the limits.
 */
export function parseLog(text: string, file: string): Series[] {
  if (typeof text !== 'string') throw new ParseError(file, 1, 'not text');
  if (text.length > kMaxInputChars)
    throw new ParseError(file, 1, `input is ${text.length} characters; at most ${kMaxInputChars} (10 MiB) are read`);
  const nul = text.indexOf('\u0000');
  if (nul >= 0) throw new ParseError(file, lineAt(text, nul), 'binary data (a NUL byte): not an nccl-tests log');
  const lines = text.split(/\r?\n|\r/);
  const runs: Run[] = [];
  let run = null as Run | null;
  let task: string | null = null;
  let rowCount = 0;
  let strayRow = 0;
  const close = () => {
    if (run && run.rows.length) runs.push(run);
    run = null;
  };
  const fresh = (keepSystem: boolean): Run => {
    const prev: Run | null = run;
    close();
    run = newRun(keepSystem && prev ? prev : undefined);
    return run;
  };
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    let raw = lines[i]!;
    // srun --label and similar launchers prefix every line with the task: keep the first task's lines only.
    const pre = /^\s{0,8}(\d{1,6}):(\s|$)/.exec(raw.length > 16 ? raw.slice(0, 16) : raw);
    if (pre) {
      if (task === null) task = pre[1]!;
      if (pre[1] !== task) continue;
      raw = raw.slice(pre[0].length);
    }
    if (raw.length > kMaxRowChars) {
      // Only a table needs every line read; a long warning there is skipped, anything else long is not a row.
      const head = raw.slice(0, 200).trim();
      if (run?.columns && !(kNoise.test(head) && !/^[-+]?\d/.test(head)))
        throw new ParseError(file, n, `a line of ${raw.length} characters in the table; a result row is under ${kMaxRowChars}`);
      continue;
    }
    const line = raw.trim();
    const cur: Run | null = run;
    const inTable = cur !== null && cur.columns !== null;
    let m: RegExpExecArray | null;
    if ((m = /^#\s*Collective test starting:\s*(\S{1,64})/.exec(line))) {
      const r = fresh(false);
      r.banner = m[1]!;
      r.bannerLine = n;
    } else if (/^#\s*Collective test concluded/.test(line)) {
      close();
    } else if (/^#\s*nThread\s/.test(line)) {
      const r = cur && !cur.rows.length && !cur.header.nThread ? cur : fresh(false);
      for (const kv of line.matchAll(/([A-Za-z][A-Za-z ]{0,20}?):?\s+(\d[^\s]{0,30})/g)) r.header[kv[1]!.trim()] = clean(kv[2]!);
    } else if (/^#\s*Using devices\s*$/.test(line)) {
      if (!cur || cur.rows.length || cur.devices.length) fresh(false);
    } else if (
      (m =
        /^#\s*Rank\s+(\d{1,6})\s+(?:Group\s+\d{1,6}\s+)?Pid\s+\d{1,10}\s+on\s+(\S{1,255})\s+device\s+(\d{1,4})\s+\[([^\]]{0,64})\]\s*(.{0,256})$/.exec(
          line,
        ))
    ) {
      const r = cur && !cur.rows.length ? cur : fresh(false);
      const rank = Number(m[1]);
      if (r.devices.some((d) => d.rank === rank))
        throw new ParseError(file, n, `rank ${rank} is listed twice in one run (several processes writing one log?)`);
      r.devices.push({ rank, host: clean(m[2]!), device: Number(m[3]), bus: clean(m[4]!), name: clean(m[5]!.trim()), line: n });
      if (r.devices.length > 65_536) throw new ParseError(file, n, 'more than 65536 ranks');
    } else if (/^#?\s*size\s+count\s+type\b/i.test(line)) {
      const cols = columnsOf(line);
      if (!cols || !cols.length)
        throw new ParseError(
          file,
          n,
          `unrecognised column header; expected "size count type redop root time algbw busbw #wrong" (and the in-place time algbw busbw #wrong)`,
        );
      const r = cur && !cur.rows.length ? cur : fresh(true);
      r.columns = cols;
      r.endedAt = 0;
    } else if ((m = /^#\s*Avg bus bandwidth\s*:\s*(\S{1,40})/.exec(line))) {
      if (cur) {
        const v = kDecimal.test(m[1]!) ? Number(m[1]) : NaN;
        if (!Number.isFinite(v)) throw new ParseError(file, n, `expected the average bus bandwidth in GB/s, found ${show(m[1]!)}`);
        cur.avgBusBw = v;
        cur.columns = null;
        cur.endedAt = 0;
      }
    } else if (inTable) {
      if (line === '' || /^#\s*\(B\)/.test(line) || /^\(B\)/.test(line)) continue;
      if (line.startsWith('#')) {
        cur.columns = null;
        cur.endedAt = n;
        continue;
      }
      if (kHelpMessage.test(line)) continue;
      if (/^[-+]?[\d.]/.test(line)) {
        if (++rowCount > kMaxRows) throw new ParseError(file, n, `more than ${kMaxRows} result rows`);
        cur.rows.push(parseRow(line, cur.columns!, file, n));
        continue;
      }
      if (kNoise.test(line)) continue;
      throw new ParseError(file, n, `expected a result row (${named(cur.columns!)}) or the end of the table, found ${show(line)}`);
    } else if (kRowLike.test(line) && !kHelpMessage.test(line)) {
      // Rows after a comment ended the table would be lost without a word: refuse them instead.
      if (cur?.endedAt)
        throw new ParseError(file, n, `a result row after the table ended at line ${cur.endedAt}; expected a new column header first`);
      strayRow ||= n;
    }
  }
  close();
  if (!runs.length)
    throw new ParseError(
      file,
      strayRow || Math.max(1, lines.length - (lines.at(-1) === '' ? 1 : 0)),
      strayRow
        ? 'a result row with no column header before it; expected "#  size  count  type  redop  root  time  algbw  busbw  #wrong …"'
        : 'no nccl-tests result table found; expected a "#  size  count  type  redop  root  time …" header followed by rows',
    );
  return runs.flatMap((r) => seriesOf(r, file));
}

function lineAt(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

function num(tok: string, what: string, file: string, line: number, max: number): number {
  const v = kDecimal.test(tok) ? Number(tok) : NaN;
  if (!Number.isFinite(v)) throw new ParseError(file, line, `${what}: expected a non-negative number, found ${show(tok)}`);
  if (v > max) throw new ParseError(file, line, `${what}: ${show(tok)} is beyond ${max}`);
  return v;
}

function int(tok: string, what: string, file: string, line: number, max: number): number {
  if (!kUnsigned.test(tok)) throw new ParseError(file, line, `${what}: expected a whole non-negative number, found ${show(tok)}`);
  const v = Number(tok);
  if (!(v <= max)) throw new ParseError(file, line, `${what}: ${show(tok)} is beyond ${max}; not a real measurement`);
  return v;
}

function parseRow(line: string, cols: Column[], file: string, n: number): Row {
  const toks = line.split(/\s+/);
  if (toks.length !== cols.length) throw new ParseError(file, n, `expected ${cols.length} columns (${named(cols)}), found ${toks.length}`);
  let bytes = 0;
  let count = 0;
  let type = '';
  let redop: string | null = null;
  let root: number | null = null;
  const groups: Measure[] = [];
  let g: Partial<Measure> = {};
  const side = () => (groups.length ? 'in-place' : 'out-of-place');
  cols.forEach((c, i) => {
    const t = toks[i]!;
    switch (c) {
      case 'size':
        bytes = int(t, 'size (bytes)', file, n, kMaxSizeBytes);
        break;
      case 'count':
        count = int(t, 'count (elements)', file, n, kMaxSizeBytes);
        break;
      case 'type':
        if (!/^[A-Za-z][A-Za-z0-9_]{0,23}$/.test(t)) throw new ParseError(file, n, `type: expected a data type name, found ${show(t)}`);
        type = t;
        break;
      case 'redop':
        if (!/^[A-Za-z_]{1,16}$/.test(t)) throw new ParseError(file, n, `redop: expected a reduction name or "none", found ${show(t)}`);
        redop = t;
        break;
      case 'root':
        if (!/^-?\d{1,9}$/.test(t)) throw new ParseError(file, n, `root: expected a rank or -1, found ${show(t)}`);
        root = Number(t);
        break;
      case 'time':
        g.timeUs = num(t, `time (${side()}, µs)`, file, n, kMaxTimeUs);
        break;
      case 'algbw':
        g.algbw = num(t, `algbw (${side()}, GB/s)`, file, n, 1e9);
        break;
      case 'busbw':
        g.busbw = num(t, `busbw (${side()}, GB/s)`, file, n, 1e9);
        break;
      case 'wrong':
        if (/^N\/A$/i.test(t)) g.wrong = null;
        else if (kDecimal.test(t.replace(/\*$/, ''))) g.wrong = Number(t.replace(/\*$/, ''));
        else throw new ParseError(file, n, `#wrong (${side()}): expected a count or N/A, found ${show(t)}`);
        groups.push(g as Measure);
        g = {};
        break;
    }
  });
  if (count > bytes) throw new ParseError(file, n, `count ${count} is more than size ${bytes} bytes`);
  return { line: n, bytes, count, type, redop, root, outOfPlace: groups[0]!, inPlace: groups[1] ?? null };
}

/** What the rows themselves say the collective is: nccl-tests' size is count × type bytes, × ranks for gather/scatter. */
function fromColumns(rows: Row[], ranks: number): Collective | 'gather-like' | null {
  const r = rows.find((x) => x.count > 0);
  if (!r) return null;
  const none = r.redop === null || r.redop === 'none';
  const rooted = r.root !== null && r.root >= 0;
  if (rooted) return none ? 'broadcast' : 'reduce';
  if (none) return 'gather-like';
  const per = r.bytes / r.count;
  const elem = kTypeBytes[r.type.toLowerCase()];
  const scattered = elem !== undefined ? per === elem * ranks && ranks > 1 : ranks > 1 && per >= ranks && per % ranks === 0;
  return scattered ? 'reduce_scatter' : 'all_reduce';
}

const kFromBanner: Readonly<Record<string, Collective>> = Object.freeze({
  all_reduce_perf: 'all_reduce',
  all_gather_perf: 'all_gather',
  reduce_scatter_perf: 'reduce_scatter',
  broadcast_perf: 'broadcast',
  reduce_perf: 'reduce',
});

function fromFileName(file: string): string | null {
  const base = file.split(/[\\/]/).pop()!.toLowerCase();
  if (/all_?to_?all/.test(base)) return 'alltoall_perf';
  if (/send_?recv/.test(base)) return 'sendrecv_perf';
  if (/reduce_?scatter/.test(base)) return 'reduce_scatter_perf';
  if (/all_?gather/.test(base)) return 'all_gather_perf';
  if (/all_?reduce/.test(base)) return 'all_reduce_perf';
  if (/hypercube/.test(base)) return 'hypercube_perf';
  if (/(^|[^a-z])gather/.test(base)) return 'gather_perf';
  if (/(^|[^a-z])scatter/.test(base)) return 'scatter_perf';
  if (/broadcast|bcast/.test(base)) return 'broadcast_perf';
  return null;
}

function seriesOf(run: Run, file: string): Series[] {
  const ranks = new Set(run.devices.map((d) => d.rank)).size;
  const hosts = [...new Set(run.devices.map((d) => d.host))];
  const sorted = [...run.devices].sort((a, b) => a.rank - b.rank);
  const deviceNames = [...new Set(sorted.map((d) => d.name))];
  // Rows of one table with a new (type, redop): nccl-tests -d all / -o all prints them in one table.
  const parts: Row[][] = [];
  for (const r of run.rows) {
    const last = parts.at(-1)?.at(-1);
    if (!last || last.type !== r.type || last.redop !== r.redop) parts.push([]);
    parts.at(-1)!.push(r);
  }
  return parts.map((rows) => {
    let test: string;
    let collective: Collective | null;
    let collectiveFrom: Series['collectiveFrom'];
    if (run.banner) {
      test = clean(run.banner);
      collective = kFromBanner[run.banner] ?? null;
      collectiveFrom = 'banner';
      if (!collective && !kOtherTests.test(run.banner))
        throw new ParseError(file, run.bannerLine, `unknown test ${show(run.banner)}; expected all_reduce_perf, all_gather_perf, …`);
    } else {
      const cols = fromColumns(rows, ranks);
      const named = fromFileName(file);
      collectiveFrom = 'columns';
      if (cols === 'gather-like') {
        // all_gather, alltoall, sendrecv, gather and scatter print the same columns: the file name may tell them apart.
        if (named && named !== 'all_gather_perf' && !kFromBanner[named]) {
          test = named;
          collective = null;
          collectiveFrom = 'file name';
        } else {
          test = 'all_gather_perf';
          collective = 'all_gather';
          if (named === 'all_gather_perf') collectiveFrom = 'file name';
        }
      } else {
        collective = cols ?? (named ? (kFromBanner[named] ?? null) : null);
        test = Object.keys(kFromBanner).find((k) => kFromBanner[k] === collective) ?? named ?? 'unknown';
        if (!cols) collectiveFrom = 'file name';
      }
    }
    return {
      file,
      line: rows[0]!.line,
      test,
      collective,
      collectiveFrom,
      header: run.header,
      devices: sorted,
      ranks,
      hosts,
      deviceNames,
      rows,
      avgBusBw: run.avgBusBw,
    };
  });
}
