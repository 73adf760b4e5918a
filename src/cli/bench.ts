// `npm run bench -- [QUERY] [--json FILE] [--browser PATH] [--timeout SECONDS] [--kernels]`: runs the benchmark
// headless in Chromium through the page's automation hooks, and prints tables, the share URL and the JSON.
// Exit status: 0 success, 1 verification or run failed, 2 bad arguments or no WebGPU adapter.

import { writeFile } from 'node:fs/promises';
import { chromium } from '@playwright/test';
import { parseQuery } from '../config/params.ts';
import type { Result } from '../engine/result.ts';
import { chromiumPath, kQuietArgs, kWebGpuArgs } from './chromium.ts';
import { startServer } from './serve.ts';
import { formatResult } from './tables.ts';

const kUsage = `usage: npm run bench -- [QUERY] [--json FILE] [--browser PATH] [--timeout SECONDS] [--kernels]
  QUERY     the page's query string, e.g. "workload=gemm&m=512&n=512&k=512&shards=4"
  --json    where to write the result JSON (default bench-result.json)
  --browser a Chromium binary (default $CHROMIUM_PATH or /usr/bin/chromium)
  --timeout seconds before the run is abandoned (default 1800)
  --kernels add a row per matmul variant (GFLOP/s median, p10, p90)`;

interface Args {
  query: string;
  json: string;
  browser: string;
  timeoutS: number;
  kernels: boolean;
  corrupt: boolean;
}

function fail(code: number, msg: string): never {
  process.stderr.write(`wafer-bench: ${msg}\n`);
  process.exit(code);
}

function parseArgs(argv: string[]): Args {
  const a: Args = { query: '', json: 'bench-result.json', browser: chromiumPath(), timeoutS: 1800, kernels: false, corrupt: false };
  let gotQuery = false;
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(2, `${x} needs a value\n${kUsage}`);
      return v;
    };
    if (x === '--json') a.json = value();
    else if (x === '--browser') a.browser = value();
    else if (x === '--timeout') {
      const v = Number(value());
      if (!Number.isFinite(v) || v <= 0) fail(2, `--timeout must be a positive number of seconds\n${kUsage}`);
      a.timeoutS = v;
    } else if (x === '--kernels') a.kernels = true;
    // Test-only: corrupts matmul outputs so that the verification path (exit 1) can be checked end to end.
    else if (x === '--test-corrupt') a.corrupt = true;
    else if (x === '--help' || x === '-h') {
      process.stdout.write(kUsage + '\n');
      process.exit(0);
    } else if (x.startsWith('--')) fail(2, `unknown option ${x}\n${kUsage}`);
    else if (gotQuery) fail(2, `only one QUERY may be given; got a second: ${x}\n${kUsage}`);
    else {
      a.query = x.replace(/^\?/, '');
      gotQuery = true;
    }
  }
  return a;
}

const args = parseArgs(process.argv.slice(2));
const parsed = parseQuery(args.query);
for (const n of parsed.notes) process.stderr.write(`note: ${n}\n`);
if (parsed.errors.length) fail(2, `bad query:\n${parsed.errors.map((e) => `  ${e.message}`).join('\n')}`);

const served = await startServer({ root: 'dist', port: 0 });
const browser = await chromium
  .launch({ executablePath: args.browser, headless: true, args: [...kQuietArgs, ...kWebGpuArgs] })
  .catch((e: Error) => {
    void served.close();
    return fail(2, `cannot start Chromium at ${args.browser}: ${e.message.split('\n')[0]}`);
  });
let code = 0;
try {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') process.stderr.write(`[page] ${m.text()}\n`);
  });
  page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
  await page.exposeFunction('__waferBenchProgress', (phase: string, fraction: number) => {
    process.stderr.write(`[${String(Math.round(fraction * 100)).padStart(3)}%] ${phase}\n`);
  });
  await page.goto(served.url);
  await page.waitForFunction(() => typeof globalThis.waferBench === 'object');
  const webgpu = await page.evaluate(async () => {
    const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) return 'navigator.gpu is missing';
    const a = await gpu.requestAdapter();
    return a ? null : 'navigator.gpu.requestAdapter() returned no adapter';
  });
  if (webgpu)
    throw Object.assign(new Error(`no WebGPU adapter in ${args.browser}: ${webgpu}. Use a Chromium with WebGPU (--browser PATH)`), {
      exitCode: 2,
    });
  const outcome = await page.evaluate(
    async ({ query, kernels, corrupt, timeoutMs }) => {
      let last = 0;
      window.addEventListener('wafer-bench:progress', (ev) => {
        const d = (ev as CustomEvent<{ phase: string; fraction: number }>).detail;
        const t = performance.now();
        if (t - last > 500 || d.fraction >= 1) {
          last = t;
          void (globalThis as unknown as { __waferBenchProgress(p: string, f: number): Promise<void> }).__waferBenchProgress(
            d.phase,
            d.fraction,
          );
        }
      });
      const timer = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`the run took longer than ${timeoutMs / 1000} s (--timeout)`)), timeoutMs),
      );
      try {
        const result = await Promise.race([globalThis.waferBench.run(query, { kernels, corrupt }), timer]);
        return { result, error: null, config: false };
      } catch (e) {
        globalThis.waferBench.stop();
        return { result: null, error: (e as Error).message, config: (e as { config?: boolean }).config === true };
      }
    },
    { query: args.query, kernels: args.kernels, corrupt: args.corrupt, timeoutMs: args.timeoutS * 1000 },
  );
  if (!outcome.result) throw Object.assign(new Error(outcome.error ?? 'the run failed'), { exitCode: outcome.config ? 2 : 1 });
  const result = outcome.result as Result;
  const share = await page.evaluate(async (r) => globalThis.waferBench.shareLink(r), result);
  process.stdout.write(formatResult(result));
  const publicUrl = new URL(share);
  publicUrl.host = '127.0.0.1:4173';
  process.stdout.write(`\nshare: ${publicUrl.toString()}\n  (open with \`npm start\`; the fragment carries this result)\n`);
  await writeFile(args.json, JSON.stringify(result, null, 2));
  process.stderr.write(`result JSON written to ${args.json}\n`);
  const bad = result.runs.filter((r) => !r.verified);
  if (parsed.config.verify && bad.length) {
    process.stderr.write(`verification FAILED: ${bad.map((r) => `${r.mode}: ${r.error ?? 'wrong results'}`).join('; ')}\n`);
    code = 1;
  }
  if (result.collectives.some((c) => c.wrong > 0)) code = 1;
} catch (e) {
  const err = e as Error & { exitCode?: number };
  process.stderr.write(`wafer-bench: ${err.message}\n`);
  code = err.exitCode ?? 1;
} finally {
  await browser.close();
  await served.close();
}
process.exit(code);
