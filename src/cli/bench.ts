// `npm run bench -- [QUERY] [--json FILE] [--trace FILE] [--browser PATH] [--timeout SECONDS] [--kernels] [--base URL]`:
// runs the benchmark headless in Chromium through the page's automation hooks, and prints tables (the target
// projection first), the share URL and the JSON; with --trace, also the timelines as Chrome Trace Event JSON.
// Exit status: 0 success, 1 verification or run failed, 2 bad arguments or no WebGPU adapter.

import { writeFile } from 'node:fs/promises';
import { chromium } from '@playwright/test';
import type { Result } from '../engine/result.ts';
import { chromiumPath, kQuietArgs, kWebGpuArgs } from './chromium.ts';
import { fail, queryOrExit, readCli, writeResultJson, writeTrace } from './common.ts';
import { startServer } from './serve.ts';
import { formatResult } from './tables.ts';

const kUsage = `usage: npm run bench -- [QUERY] [--json FILE] [--trace FILE] [--browser PATH] [--timeout SECONDS] [--kernels] [--base URL]
  QUERY     the page's query string, e.g. "workload=gemm&m=512&n=512&k=512&shards=4"
  --json    where to write the result JSON (default bench-result.json)
  --trace   where to write the timelines as Chrome Trace Event JSON, for https://ui.perfetto.dev (default: none)
  --browser a Chromium binary (default $CHROMIUM_PATH or /usr/bin/chromium)
  --timeout seconds before the run is abandoned (default 1800)
  --kernels add a row per matmul variant (GFLOP/s median, p10, p90)
  --base    where the app is hosted, for the printed share link (default http://127.0.0.1:$PORT/, PORT 4173 as npm start)`;

/** Share links longer than this go to a file beside the JSON instead of the terminal. */
const kMaxPrintedLink = 2000;

function readArgs() {
  const a = readCli(
    {
      json: { type: 'string', default: 'bench-result.json' },
      trace: { type: 'string' },
      browser: { type: 'string', default: chromiumPath() },
      timeout: { type: 'string', default: '1800' },
      kernels: { type: 'boolean', default: false },
      base: { type: 'string' },
      // Test-only: corrupts matmul outputs so that the verification path (exit 1) can be checked end to end.
      'test-corrupt': { type: 'boolean', default: false },
    },
    kUsage,
  );
  if (a.positionals.length > 1) fail(2, `only one QUERY may be given; got a second: ${a.positionals[1]}\n${kUsage}`);
  const timeoutS = Number(a.values.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) fail(2, `--timeout must be a positive number of seconds\n${kUsage}`);
  let base = `http://127.0.0.1:${process.env.PORT ?? 4173}/`;
  if (a.values.base !== undefined) {
    try {
      const u = new URL(a.values.base);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
      base = u.toString();
    } catch {
      fail(2, `--base must be an http(s) URL; got ${a.values.base}`);
    }
  }
  return {
    query: a.positionals[0],
    json: a.values.json,
    trace: a.values.trace,
    browser: a.values.browser,
    timeoutS,
    kernels: a.values.kernels,
    corrupt: a.values['test-corrupt'],
    base,
    hosted: a.values.base !== undefined,
  };
}

const args = readArgs();
const { query, config } = queryOrExit(args.query);

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
    { query, kernels: args.kernels, corrupt: args.corrupt, timeoutMs: args.timeoutS * 1000 },
  );
  if (!outcome.result) throw Object.assign(new Error(outcome.error ?? 'the run failed'), { exitCode: outcome.config ? 2 : 1 });
  const result = outcome.result as Result;
  const share = await page.evaluate(async (r) => globalThis.waferBench.shareLink(r), result);
  process.stdout.write(formatResult(result));
  // The loopback server of this run is gone when the CLI exits: the link points at where the app is hosted.
  const served_ = new URL(share);
  const publicUrl = new URL(served_.search + served_.hash, args.base);
  const hint = args.hosted ? `the app at ${args.base}` : `\`${process.env.PORT ? `PORT=${process.env.PORT} ` : ''}npm start\``;
  const link = publicUrl.toString();
  if (link.length > kMaxPrintedLink) {
    const file = `${args.json.replace(/\.json$/i, '')}.link.txt`;
    await writeFile(file, link + '\n');
    const plain = new URL(served_.search, args.base).toString();
    process.stdout.write(
      `\nshare: ${plain}\n  (this configuration; the link that carries the result is ${link.length} characters, written to ${file}; open it with ${hint})\n`,
    );
  } else {
    process.stdout.write(`\nshare: ${link}\n  (open it with ${hint}; the fragment carries this result)\n`);
  }
  await writeResultJson(args.json, result);
  if (args.trace) await writeTrace(args.trace, result);
  const bad = result.runs.filter((r) => !r.verified);
  if (config.verify && bad.length) {
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
