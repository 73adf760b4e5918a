// tools/wafer_bench_torch.py for real: the query checked as the page checks it (no torch needed), then small
// all-reduce, GEMM and MLP runs on two gloo ranks on this CPU whose result JSON must pass parseResult, verify, and
// carry what was asked. Without torch for /usr/bin/python3 the runs are skipped here and fail in CI.

import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kCollectives, kFabrics, kGpus, kLinks, kModelNames, normalizedConfig, parseQuery } from '../../src/config/params.ts';
import { parseResult } from '../../src/engine/result-schema.ts';
import type { Result } from '../../src/engine/result.ts';
import { kPrecisions } from '../../src/model/hardware/gpus.ts';
import { kLinkPresets } from '../../src/model/hardware/links.ts';
import { kVersion } from '../../src/model/predict.ts';

const python = '/usr/bin/python3';
const script = 'tools/wafer_bench_torch.py';
const ci = Boolean(process.env.CI);
const works = (code: string): boolean => spawnSync(python, ['-c', code], { stdio: 'ignore' }).status === 0;
const hasPython = works('import sys; assert sys.version_info >= (3, 9)');
const hasTorch = hasPython && works('import torch.distributed as d; assert d.is_gloo_available()');
const noTorch = `torch is not installed for ${python}: install python3-torch (apt-get install python3-torch)`;
if (!hasTorch && !ci) console.warn(`torch companion: runs skipped, ${noTorch}`);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  result: Result | null;
}

const dir = mkdtempSync(join(tmpdir(), 'wafer-bench-torch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the companion; the JSON it wrote (if any) parsed with parseResult. */
function companion(query: string, args: string[] = [], env: Record<string, string> = {}): Promise<Run> {
  const file = join(dir, `r${Math.random().toString(36).slice(2)}.json`);
  return new Promise((resolve) => {
    execFile(
      python,
      [script, query, ...args, '--json', file],
      { env: { ...process.env, ...env }, timeout: 55_000 },
      (err, stdout, stderr) => {
        let result: Result | null = null;
        try {
          result = parseResult(JSON.parse(readFileSync(file, 'utf8')));
        } catch (e) {
          if (!(e instanceof Error && 'code' in e && e.code === 'ENOENT')) throw e;
        }
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr, result });
      },
    );
  });
}

/** The companion's own parser (parse_query) on many queries in one Python process: a config or the refusal. */
function parseMany(cases: (readonly [string, number])[]): { config: Record<string, unknown> | null; error: string | null }[] {
  const code = [
    'import json, sys',
    'sys.dont_write_bytecode = True',
    "sys.path.insert(0, 'tools')",
    'import wafer_bench_torch as w',
    'out = []',
    'for q, n in json.load(sys.stdin):',
    '    try:',
    "        out.append({'config': w.parse_query(q, n)[0], 'error': None})",
    '    except w.UsageError as e:',
    "        out.append({'config': None, 'error': str(e)})",
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync(python, ['-c', code], { input: JSON.stringify(cases), encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout);
}

/** What the page makes of the same query, for a cluster of `ranks`. */
const pageConfig = (query: string, ranks: number, extra = ''): Record<string, unknown> => {
  const { config, errors } = parseQuery(`${query}&mode=cluster&shards=${ranks}${extra}`);
  expect(errors).toEqual([]);
  return normalizedConfig(config);
};

describe.skipIf(!hasPython && !ci)(`torch companion: the query (needs ${python} 3.9+)`, () => {
  it('normalizes a query as the page does, defaults filled in and grid/tiles resolved', () => {
    expect(hasPython, `${python} (3.9+) is missing`).toBe(true);
    const cases = [
      ['', 2],
      ['workload=mlp&tokens=64&grid=2x4&tiles=4x2&verify=0&alpha=2.5&link=custom&gbps=100&tflops=50&seed=7&embed=1', 8],
      ['?workload=allreduce&minBytes=8&maxBytes=8589934592&factor=2&precision=fp8&gpu=mi300x&origin=https://x.test', 3],
    ] as const;
    parseMany([...cases]).forEach((r, i) => {
      const [query, ranks] = cases[i]!;
      expect(r.config, query).toEqual(pageConfig(query, ranks));
    });
    // The command line prints the same, and needs no torch for it.
    const cli = spawnSync(python, [script, cases[1][0], '--dry-run', '--spawn', '8'], { encoding: 'utf8' });
    expect(cli.status).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual(pageConfig(...cases[1]));
  });

  it("accepts every name of the page's registries", () => {
    const lists: [string, readonly string[]][] = [
      ['link', kLinks],
      ['scaleout', Object.keys(kLinkPresets)],
      ['gpu', kGpus],
      ['fabric', kFabrics],
      ['collective', kCollectives],
      ['precision', kPrecisions],
      ['model', kModelNames.filter((m) => m !== 'custom')],
    ];
    const queries = lists.flatMap(([param, names]) => names.map((name) => `${param}=${name}&alpha=1&gbps=1&tflops=1`));
    parseMany(queries.map((q) => [q, 1] as const)).forEach((r, i) => expect(r.error, queries[i]).toBeNull());
  });

  it('refuses, with the parameter named, what it cannot run; the command line exits with status 2', () => {
    const cases = [
      ['workload=foo', 1, 'workload="foo": must be one of gemm, mlp, allreduce, decode, prefill'],
      ['x=1', 1, 'unknown parameter "x"'],
      ['m=0', 1, 'm="0": must be an integer from 1 to 65536'],
      ['m=2&m=3', 1, 'm is given more than once'],
      ['minBytes=4096&maxBytes=1024', 1, 'minBytes=4096 is larger than maxBytes=1024'],
      ['link=custom', 1, 'link=custom needs alpha'],
      ['mode=wafer', 1, 'mode=wafer'],
      ['strategy=summa', 1, 'strategy=summa'],
      ['sweep=shards', 1, 'sweep=shards'],
      ['dtype=f16', 1, 'dtype=f16'],
      ['shards=4', 2, 'shards=4, but the process group has 2 rank(s)'],
      ['k=1', 2, 'strategy=ksplit over 2 ranks needs k ≥ 2'],
      ['workload=mlp&tokens=1', 2, 'needs tokens ≥ 2'],
      ['workload=decode', 1, 'workload=decode is projected only'],
    ] as const;
    parseMany(cases.map(([q, n]) => [q, n] as const)).forEach((r, i) => expect(r.error, cases[i]![0]).toContain(cases[i]![2]));
    const cli = spawnSync(python, [script, 'workload=foo&m=0', '--spawn', '2'], { encoding: 'utf8' });
    expect(cli.status).toBe(2);
    expect(cli.stderr).toContain('workload="foo"');
    expect(cli.stderr).toContain('m="0"');
  });
});

const kSweep = 'workload=allreduce&minBytes=1024&maxBytes=65536&factor=4&iters=3&warmup=1';
const kGemm = 'workload=gemm&m=64&n=64&k=64&iters=3&warmup=1';
const kMlp = 'workload=mlp&tokens=32&hidden=32&layers=2&iters=3&warmup=1';
const kRanks = ['--spawn', '2', '--backend', 'gloo', '--device', 'cpu'];
/** A test waits for its run, which waits for the runs before it in its lane. */
const kRunMs = 60_000;

describe(`torch companion: runs on gloo ranks on this CPU (needs torch for ${python}: python3-torch)`, () => {
  const runs = new Map<string, Promise<Run>>();
  const run = (name: string): Promise<Run> => runs.get(name)!;
  const cases: [string, string, Record<string, string>?][] = [
    ['sweep', kSweep],
    ['gemm sharded', `${kGemm}&output=sharded`],
    ['gemm replicated', `${kGemm}&output=replicated`],
    ['mlp', `${kMlp}&output=sharded`],
    // One rank in this process (no --spawn): the fault is on the last rank.
    ['fault', 'workload=gemm&m=64&n=64&k=64&iters=1&warmup=0', { WAFER_BENCH_TORCH_FAULT: '1' }],
  ];
  beforeAll(() => {
    if (!hasTorch) return;
    // Two lanes: each run is mostly Python processes importing torch.
    const lanes: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
    cases.forEach(([name, query, env], i) => {
      const args = name === 'fault' ? ['--backend', 'gloo', '--device', 'cpu'] : kRanks;
      const p = lanes[i % lanes.length]!.then(() => companion(query, args, env));
      runs.set(name, p);
      lanes[i % lanes.length] = p;
    });
  });
  const needsTorch = (): void => {
    if (!hasTorch) throw new Error(`CI needs the torch companion's runs: ${noTorch}`);
  };
  const ok = async (name: string): Promise<Result> => {
    const r = await run(name);
    expect(r.code, `${name}: ${r.stderr}`).toBe(0);
    expect(r.result).not.toBeNull();
    return r.result!;
  };
  const common = (r: Result, query: string): void => {
    expect(r).toMatchObject({ schema: 2, tool: 'wafer-bench', version: kVersion, localGflops: NaN });
    expect(r.env).toMatchObject({ backend: 'torch', transport: 'gloo', crossOriginIsolated: false });
    expect(r.env.adapter).toMatchObject({ vendor: 'torch', architecture: 'cpu', isFallbackAdapter: false });
    expect(r.env.adapter.description).toMatch(/^2 ranks on 1 host \(/);
    expect(r.env.userAgent).toMatch(/^torch \d+\.\d+\S* \/ python 3\.\d+/);
    expect(r.config).toEqual(pageConfig(query, 2, '&precision=f32'));
    expect(r.runs).toHaveLength(1);
    const x = r.runs[0]!;
    expect(x).toMatchObject({ mode: 'cluster', devices: 2, units: 2, collective: 'gloo', verified: true, targetStepUs: null });
    expect(x.emulation).toBe('measured on a real cluster with torch.distributed (gloo)');
    expect(x.stepMs.samples).toBe(3);
    expect(x.stepMs.min).toBeGreaterThan(0);
    expect(x.emulatedStepMs.samples).toBe(0);
    expect(x.iterations).toHaveLength(3);
    expect(x.measuredTimeline.map((e) => e.device)).toContain(1);
    expect(r.summary.clusterUnits).toBe(2);
  };

  it.skipIf(!hasTorch && !ci)(
    'all-reduce sweep: sizes as asked, #wrong 0, busbw = algbw · 2(n−1)/n',
    async () => {
      needsTorch();
      const r = await ok('sweep');
      common(r, kSweep);
      expect(r.collectives.map((c) => c.bytes)).toEqual([1024, 4096, 16384, 65536]);
      for (const c of r.collectives) {
        expect(c).toMatchObject({ mode: 'cluster', algorithm: 'gloo', devices: 2, count: c.bytes / 4, wrong: 0 });
        expect([c.timeUs, c.algbw, c.busbw]).toEqual([NaN, NaN, NaN]);
        expect(c.measuredTimeUs).toBeGreaterThan(0);
        const algbw = c.bytes / (c.measuredTimeUs * 1e3); // decimal GB/s
        expect(c.measuredBusbw / (algbw * ((2 * (2 - 1)) / 2))).toBeCloseTo(1, 9);
      }
      const x = r.runs[0]!;
      expect(x).toMatchObject({
        workload: 'allreduce',
        strategy: 'allreduce',
        flops: 0,
        checked: (256 + 1024 + 4096 + 16384) * 2,
        maxAbsErr: 0,
      });
      expect(x.commBytes).toBe(2 * (65536 - 32768)); // a ring all-reduce: each rank sends 2(n−1)/n of the vector
      expect(r.summary.clusterGflops).toBeNull();
    },
    kRunMs,
  );

  it.skipIf(!hasTorch && !ci)(
    'gemm ksplit: verified, with a reduce-scatter (sharded) or an all-reduce (replicated)',
    async () => {
      needsTorch();
      for (const [name, output, sent, checked] of [
        ['gemm sharded', 'sharded', 64 * 64 * 4 - 32 * 64 * 4, 64 * 64],
        ['gemm replicated', 'replicated', 2 * (64 * 64 * 4 - 32 * 64 * 4), 2 * 64 * 64],
      ] as const) {
        const r = await ok(name);
        common(r, `${kGemm}&output=${output}`);
        const x = r.runs[0]!;
        expect(x).toMatchObject({ workload: 'gemm', strategy: 'ksplit', flops: 2 * 64 ** 3, commBytes: sent, checked });
        expect(x.maxRelErr).toBeLessThan(1e-3);
        expect(x.gflops.median).toBeCloseTo(x.flops / (x.stepMs.median * 1e6), 6);
        expect(x.computeMs + x.commMs).toBeGreaterThan(0);
        expect(x.measuredTimeline.map((e) => e.label)).toEqual(
          expect.arrayContaining(['matmul (K slice)', output === 'sharded' ? 'reduce-scatter C' : 'all-reduce C']),
        );
        expect(r.collectives).toEqual([]);
        expect(r.summary.clusterGflops).toBe(x.gflops.median);
      }
    },
    kRunMs,
  );

  it.skipIf(!hasTorch && !ci)(
    'mlp (Megatron, two layers, Y left split by tokens): verified',
    async () => {
      needsTorch();
      const r = await ok('mlp');
      common(r, `${kMlp}&output=sharded`);
      const x = r.runs[0]!;
      const y = 32 * 32 * 4;
      expect(x).toMatchObject({ workload: 'mlp', strategy: 'megatron', flops: 2 * 16 * 32 ** 3, checked: 32 * 32 });
      expect(x.commBytes).toBe(2 * (y - y / 2) + (y - y / 2)); // an all-reduce, then the last layer's reduce-scatter
      expect(new Set(x.measuredTimeline.map((e) => e.label))).toEqual(
        new Set([
          'layer 1 X·W1 (column-parallel)',
          'layer 1 GeLU',
          'layer 1 H·W2 (row-parallel)',
          'layer 1 all-reduce Y',
          'layer 2 X·W1 (column-parallel)',
          'layer 2 GeLU',
          'layer 2 H·W2 (row-parallel)',
          'layer 2 reduce-scatter Y',
        ]),
      );
    },
    kRunMs,
  );

  it.skipIf(!hasTorch && !ci)(
    'a wrong element fails verification, and the exit status is 1',
    async () => {
      needsTorch();
      const r = await run('fault');
      expect(r.code).toBe(1);
      expect(r.result!.runs[0]).toMatchObject({ verified: false, checked: 64 * 64, units: 1 });
      expect(r.result!.runs[0]!.error).toMatch(/^1 of 4096 checked elements/);
      expect(r.stdout).toContain('NO');
    },
    kRunMs,
  );
});
