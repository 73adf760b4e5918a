// Reading nccl-tests / rccl-tests logs: the parser on real published output (each test names its source) and on
// hostile input.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParseError, kMaxRows, parseLog, type Series } from '../../src/calibrate/parse.ts';
import { mulberry32 } from '../../src/config/rng.ts';

const kDir = new URL('../fixtures/nccl-tests/', import.meta.url);
const text = (name: string): string => readFileSync(new URL(name, kDir), 'utf8');
const parse = (name: string): Series[] => parseLog(text(name), name);

const kVp8 = 'h100_8gpu_1node_allreduce_voltagepark_nccl2.24.3.log';
const kIssue290x8 = 'h100_8gpu_1node_allreduce_nccltests-issue290.log';
const kVp32 = 'h100_32gpu_4node_ib_allreduce_allgather_voltagepark_nccl2.24.3.log';
const kIssue309x16 = 'h100_16gpu_2node_ib_allreduce_nccltests-issue309_nccl2.26.2.log';
const kIssue290x16 = 'h100_16gpu_2node_ib_allreduce_nccltests-issue290.log';
const kMi300x = 'mi300x_8gpu_1node_allreduce_rocm-acceptance-docs.log';
const kUnhealthy = 'h100_8gpu_1node_allgather_voltagepark_nccl2.24.3_ANOMALOUS.log';

/** Throws a ParseError naming `line`, with `what` in its message. */
function expectParseError(fn: () => unknown, line: number, what: RegExp): ParseError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
    const p = e as ParseError;
    expect(p.line).toBe(line);
    expect(p.message).toMatch(new RegExp(`:${line}: `));
    expect(p.message).toMatch(what);
    return p;
  }
  throw new Error('expected a ParseError');
}

describe('parser on real logs', () => {
  it('8×H100 one node, all_reduce 8 B–8 GiB (github.com/ZiyanIshani/vpbenchmarking, results/nccl/nccl_allreduce_20260224_223444.txt)', () => {
    const [s, ...rest] = parse(kVp8);
    expect(rest).toHaveLength(0);
    expect(s!.test).toBe('all_reduce_perf');
    expect(s!.collective).toBe('all_reduce');
    expect(s!.collectiveFrom).toBe('banner');
    expect(s!.ranks).toBe(8);
    expect(s!.hosts).toEqual(['g138']);
    expect(s!.deviceNames).toEqual(['NVIDIA H100 80GB HBM3']);
    expect(s!.devices[3]).toMatchObject({ rank: 3, host: 'g138', device: 3, bus: '0000:5d:00' });
    expect(s!.header).toMatchObject({ nThread: '1', nGpus: '8', minBytes: '8', maxBytes: '8589934592', step: '2(factor)', iters: '20' });
    expect(s!.rows).toHaveLength(31);
    expect(s!.rows[0]).toMatchObject({ bytes: 8, count: 2, type: 'float', redop: 'sum', root: -1 });
    expect(s!.rows[0]!.outOfPlace).toEqual({ timeUs: 33.18, algbw: 0, busbw: 0, wrong: 0 });
    expect(s!.rows[0]!.inPlace).toEqual({ timeUs: 32.55, algbw: 0, busbw: 0, wrong: 0 });
    expect(s!.rows[30]).toMatchObject({ bytes: 8589934592, count: 2147483648 });
    expect(s!.rows[30]!.outOfPlace).toEqual({ timeUs: 31335.8, algbw: 274.13, busbw: 479.72, wrong: 0 });
    expect(s!.rows[30]!.inPlace).toEqual({ timeUs: 31348.2, algbw: 274.02, busbw: 479.53, wrong: 0 });
    expect(s!.avgBusBw).toBe(146.211);
  });

  it('8×H100 one node, all_reduce 128 MiB–4 GiB, no banner (github.com/NVIDIA/nccl-tests/issues/290)', () => {
    const [s] = parse(kIssue290x8);
    expect(s!.collective).toBe('all_reduce');
    expect(s!.collectiveFrom).toBe('columns');
    expect(s!.ranks).toBe(8);
    expect(s!.hosts).toEqual(['node005']);
    expect(s!.devices[0]!.bus).toBe('0x18');
    expect(s!.rows.map((r) => r.bytes)).toEqual([134217728, 268435456, 536870912, 1073741824, 2147483648, 4294967296]);
    expect(s!.rows[0]!.outOfPlace.timeUs).toBe(613.3);
    expect(s!.rows[0]!.inPlace!.timeUs).toBe(614.3);
    expect(s!.rows[5]!.outOfPlace).toEqual({ timeUs: 15870, algbw: 270.63, busbw: 473.6, wrong: 0 });
    expect(s!.rows[5]!.inPlace).toEqual({ timeUs: 15773, algbw: 272.3, busbw: 476.53, wrong: 0 });
    expect(s!.avgBusBw).toBe(439.369);
  });

  it('32×H100 four nodes, all_reduce then all_gather in one log with ssh warnings (github.com/ZiyanIshani/vpbenchmarking, nccl_multinode)', () => {
    const [ar, ag, ...rest] = parse(kVp32);
    expect(rest).toHaveLength(0);
    for (const s of [ar!, ag!]) {
      expect(s.ranks).toBe(32);
      expect(s.hosts).toEqual(['g138', 'g205', 'g244', 'g150']);
      expect(s.deviceNames).toEqual(['NVIDIA H100 80GB HBM3']);
      expect(s.rows).toHaveLength(31);
      expect(s.header.nGpus).toBe('1');
    }
    expect(ar!.collective).toBe('all_reduce');
    expect(ar!.rows[0]!.outOfPlace.timeUs).toBe(38.37);
    expect(ar!.rows[30]!.outOfPlace).toEqual({ timeUs: 50291.8, algbw: 170.8, busbw: 330.93, wrong: 0 });
    expect(ar!.rows[30]!.inPlace!.timeUs).toBe(50415.3);
    expect(ar!.avgBusBw).toBe(91.6073);
    expect(ag!.collective).toBe('all_gather');
    expect(ag!.rows.filter((r) => r.bytes === 0)).toHaveLength(6);
    expect(ag!.rows[0]).toMatchObject({ bytes: 0, count: 0, redop: 'none', root: -1 });
    expect(ag!.rows[6]).toMatchObject({ bytes: 512, count: 4 });
    expect(ag!.rows[30]!.outOfPlace).toEqual({ timeUs: 25720.7, algbw: 333.97, busbw: 323.53, wrong: 0 });
    expect(ag!.rows[30]!.inPlace!.busbw).toBe(327.12);
    expect(ag!.avgBusBw).toBe(78.6422);
  });

  it('16×H100 two nodes, MPI warnings in the header (github.com/NVIDIA/nccl-tests/issues/309)', () => {
    const [s] = parse(kIssue309x16);
    expect(s!.ranks).toBe(16);
    expect(s!.hosts).toEqual(['bm-h100-01', 'bm-h100-02']);
    expect(s!.rows).toHaveLength(32);
    expect(s!.rows[0]!.outOfPlace.timeUs).toBe(68.52);
    expect(s!.rows[0]!.inPlace!.timeUs).toBe(24.7);
    expect(s!.rows[31]).toMatchObject({ bytes: 17179869184, count: 4294967296 });
    expect(s!.rows[31]!.outOfPlace).toEqual({ timeUs: 68652, algbw: 250.24, busbw: 469.21, wrong: 0 });
    expect(s!.rows[31]!.inPlace!.busbw).toBe(469.1);
    expect(s!.avgBusBw).toBe(139.56);
  });

  it('16×H100 two nodes, two runs, srun "0: " prefixes and N/A in #wrong (github.com/NVIDIA/nccl-tests/issues/290)', () => {
    const [a, b, ...rest] = parse(kIssue290x16);
    expect(rest).toHaveLength(0);
    for (const s of [a!, b!]) {
      expect(s.ranks).toBe(16);
      expect(s.hosts).toEqual(['node005', 'node007']);
      expect(s.rows).toHaveLength(11);
      expect(s.rows[0]!.bytes).toBe(8388608);
      expect(s.rows[10]!.bytes).toBe(8589934592);
      expect(s.rows.every((r) => r.outOfPlace.wrong === null && r.inPlace!.wrong === null)).toBe(true);
    }
    expect(a!.header.iters).toBe('200');
    expect(b!.header).toEqual({});
    expect(a!.rows[0]!.outOfPlace.timeUs).toBe(215.3);
    expect(a!.rows[10]!.outOfPlace.timeUs).toBe(103530);
    expect(a!.avgBusBw).toBe(142.735);
    expect(b!.rows[0]!.outOfPlace.timeUs).toBe(407.5);
    expect(b!.rows[10]!.inPlace).toEqual({ timeUs: 180166, algbw: 47.68, busbw: 89.4, wrong: null });
    expect(b!.avgBusBw).toBe(85.5294);
  });

  it('8×MI300X rccl-tests with collapsed spacing and indentation (github.com/ROCm/system-acceptance-docs, performance-bench/mi300x.rst)', () => {
    const [s] = parse(kMi300x);
    expect(s!.collective).toBe('all_reduce');
    expect(s!.ranks).toBe(8);
    expect(s!.hosts).toEqual(['SMC-SC-DC19-06']);
    expect(s!.deviceNames).toEqual(['AMD Instinct MI300X']);
    expect(s!.devices[0]!.bus).toBe('0000:05:00.0');
    expect(s!.rows).toHaveLength(31);
    expect(s!.rows[0]!.outOfPlace.timeUs).toBe(34.13);
    expect(s!.rows[0]!.inPlace!.timeUs).toBe(39.55);
    expect(s!.rows[30]!.outOfPlace).toEqual({ timeUs: 47488, algbw: 180.88, busbw: 316.55, wrong: 0 });
    expect(s!.rows[30]!.inPlace!.busbw).toBe(315.84);
    expect(s!.avgBusBw).toBe(102.138);
  });

  it('an unhealthy 8×H100 all_gather run parses as what it is (github.com/ZiyanIshani/vpbenchmarking, nccl_allgather_.txt)', () => {
    const [s] = parse(kUnhealthy);
    expect(s!.collective).toBe('all_gather');
    expect(s!.ranks).toBe(8);
    expect(s!.rows).toHaveLength(31);
    expect(s!.rows.filter((r) => r.bytes === 0)).toHaveLength(4);
    expect(s!.rows[4]).toMatchObject({ bytes: 128, count: 4 });
    expect(s!.rows[4]!.outOfPlace.timeUs).toBe(4182.76);
    expect(s!.rows[30]!.outOfPlace).toEqual({ timeUs: 177640, algbw: 48.36, busbw: 42.31, wrong: 0 });
    expect(s!.avgBusBw).toBe(27.5097);
  });
});

describe('parser on hostile input', () => {
  const good = text(kVp8);
  const lines = good.split('\n');
  const firstRow = lines.findIndex((l) => /^\s+8\s+2\s+float/.test(l));
  const withRow = (row: string): string => [...lines.slice(0, firstRow), row, ...lines.slice(firstRow + 1)].join('\n');
  const n = firstRow + 1;

  it('an empty file names line 1 and what was expected', () => {
    expectParseError(() => parseLog('', 'empty.log'), 1, /no nccl-tests result table/);
    expectParseError(() => parseLog('\n\n', 'blank.log'), 2, /no nccl-tests result table/);
  });

  it('binary bytes: a NUL names its line; other bytes find no table', () => {
    expectParseError(() => parseLog('# nThread 1\nabc\n\u0000\u0001\u0002', 'bin.log'), 3, /binary data/);
    const next = mulberry32(7);
    const noise = Array.from({ length: 50_000 }, () => String.fromCharCode(1 + Math.floor(next() * 254))).join('');
    expect(() => parseLog(noise, 'noise.bin')).toThrow(ParseError);
  });

  it('a row with a missing column', () => {
    expectParseError(
      () =>
        parseLog(
          withRow('           8             2     float     sum      -1    33.18    0.00    0.00       0    32.55    0.00    0.00'),
          'x.log',
        ),
      n,
      /expected 13 columns .*#wrong.*found 12/,
    );
  });

  it('text, NaN or a negative number where a time belongs', () => {
    for (const t of ['fast', 'NaN', 'Infinity', '-33.18', '0x21'])
      expectParseError(
        () =>
          parseLog(
            withRow(
              `           8             2     float     sum      -1    ${t}    0.00    0.00       0    32.55    0.00    0.00       0`,
            ),
            'x.log',
          ),
        n,
        /time \(out-of-place, µs\): expected a non-negative number/,
      );
    expectParseError(
      () =>
        parseLog(
          withRow('           8             2     float     sum      -1    1e300    0.00    0.00       0    32.55    0.00    0.00       0'),
          'x.log',
        ),
      n,
      /beyond/,
    );
  });

  it('an absurd or negative size', () => {
    expectParseError(
      () => parseLog(withRow('99999999999999999999 2 float sum -1 33.18 0.00 0.00 0 32.55 0.00 0.00 0'), 'x.log'),
      n,
      /size \(bytes\).*beyond/,
    );
    expectParseError(
      () => parseLog(withRow('-8 2 float sum -1 33.18 0.00 0.00 0 32.55 0.00 0.00 0'), 'x.log'),
      n,
      /size \(bytes\): expected a whole non-negative number/,
    );
    expectParseError(
      () => parseLog(withRow('8 9 float sum -1 33.18 0.00 0.00 0 32.55 0.00 0.00 0'), 'x.log'),
      n,
      /count 9 is more than size 8/,
    );
  });

  it('a row of 100 000 columns fails on its line, quickly', () => {
    const t0 = performance.now();
    expectParseError(
      () => parseLog(withRow('8 2 float sum -1' + ' 1'.repeat(100_000)), 'wide.log'),
      n,
      /a line of 200016 characters in the table/,
    );
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('a 20 MB string is refused whole', () => {
    expectParseError(() => parseLog('x'.repeat(20 * 1024 * 1024), 'huge.log'), 1, /at most 10485760/);
  });

  it('more rows than the limit', () => {
    const row = '           8             2     float     sum      -1    33.18    0.00    0.00       0    32.55    0.00    0.00       0';
    const big = [...lines.slice(0, firstRow), ...Array.from({ length: kMaxRows + 1 }, () => row)].join('\n');
    expectParseError(() => parseLog(big, 'rows.log'), firstRow + kMaxRows + 1, new RegExp(`more than ${kMaxRows} result rows`));
  });

  it('unknown text inside a table names its line; warnings and help messages there are skipped', () => {
    expectParseError(() => parseLog(withRow('total garbage here'), 'x.log'), n, /expected a result row \(size count type redop root time/);
    const noisy = [
      ...lines.slice(0, firstRow),
      'Warning: Permanently added host',
      '8 more processes have sent help message help-mtl-ofi.txt',
      '',
      ...lines.slice(firstRow),
    ];
    expect(parseLog(noisy.join('\n'), 'noisy.log')[0]!.rows).toHaveLength(31);
  });

  it('rows after a comment ended the table are refused, not dropped; a long library warning in a table is skipped', () => {
    const cut = [...lines.slice(0, firstRow + 3), '# a note pasted into the table', ...lines.slice(firstRow + 3)].join('\n');
    expectParseError(() => parseLog(cut, 'cut.log'), firstRow + 5, new RegExp(`after the table ended at line ${firstRow + 4}`));
    const warn = [...lines.slice(0, firstRow + 3), 'host:1:2 [0] NCCL WARN ' + 'x'.repeat(2000), ...lines.slice(firstRow + 3)].join('\n');
    expect(parseLog(warn, 'warn.log')[0]!.rows).toHaveLength(31);
  });

  it('markup and control characters in a device name come back as plain text', () => {
    const evil = good.replace(
      /(Rank {2}0 Group {2}0 Pid 150219 on {7}g138 device {2}0 \[0000:19:00\]) NVIDIA H100 80GB HBM3/,
      '$1 <script>alert(1)</script>\u001b[31m',
    );
    const [s] = parseLog(evil, 'evil.log');
    expect(s!.deviceNames[0]).toBe('<script>alert(1)</script>\uFFFD[31m');
  });

  it('a row before any column header, and a header it does not know', () => {
    expectParseError(
      () => parseLog('   8   2   float   sum   -1   33.18   0.00   0.00   0\n', 'bare.log'),
      1,
      /a result row with no column header/,
    );
    expectParseError(() => parseLog('#  size  count  type  redop  root  time  algbw  speed\n', 'hdr.log'), 1, /unrecognised column header/);
  });

  it('a rank listed twice in one run', () => {
    const dup = good.replace(/(#\s+Rank\s+1 .*\n)/, '$1$1');
    expectParseError(() => parseLog(dup, 'dup.log'), 12, /rank 1 is listed twice/);
  });
});
