// The CLI end to end: a verified run exits 0 with a table, a share URL and the JSON; a corrupted run exits 1;
// bad arguments and a browser without WebGPU exit 2 with a message saying which.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { chromiumPath } from '../../src/cli/chromium.ts';

function bench(...args: string[]) {
  const r = spawnSync('node', ['dist-node/bench.js', ...args], {
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, CHROMIUM_PATH: chromiumPath() },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('a verified run exits 0 with the table, the share URL and the JSON', () => {
  const json = test.info().outputPath('result.json');
  const r = bench('mode=compare&m=40&n=40&k=40&shards=2&iters=2&warmup=1', '--json', json);
  expect(r.err).toContain('%]');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^wafer\s+summa/m);
  expect(r.out).toMatch(/^cluster\s+ksplit\/ring/m);
  // The loopback server is gone when the CLI exits: the link points where `npm start` serves, or at --base.
  expect(r.out).toMatch(/share: http:\/\/127\.0\.0\.1:4173\/\?.*m=40/);
  const linkFile = json.replace(/\.json$/, '.link.txt');
  const link = r.out.includes('#r=') ? /share: (\S+)/.exec(r.out)![1]! : readFileSync(linkFile, 'utf8').trim();
  if (!r.out.includes('#r=')) expect(r.out).toContain(`written to ${linkFile}`);
  expect(link).toMatch(/^http:\/\/127\.0\.0\.1:4173\/\?.*m=40.*#r=/);
  const result = JSON.parse(readFileSync(json, 'utf8'));
  expect(result).toMatchObject({ schema: 2, tool: 'wafer-bench', config: { m: 40, shards: 2 } });
  expect(result.runs.map((x: { verified: boolean }) => x.verified)).toEqual([true, true]);
});

test('LLM decode from the CLI: the scaled instance verified, the full model projected with its inference figures', () => {
  const json = test.info().outputPath('decode.json');
  const r = bench('workload=decode&model=llama3-70b&mode=compare&shards=2&context=4&iters=1&warmup=0', '--json', json);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^# decode of llama3-70b/m);
  expect(r.out).toMatch(/ms\/token\s+band ms\s+tok\/s\/user/);
  expect(r.out).toContain('vendor-reported');
  const result = JSON.parse(readFileSync(json, 'utf8'));
  expect(result.runs.map((x: { verified: boolean }) => x.verified)).toEqual([true, true]);
  expect(result.runs[0].llm.weightsGB).toBeCloseTo(141.1, 0);
});

test('--base points the printed link at a hosted copy', () => {
  const r = bench(
    'mode=wafer&tiles=1x1&m=16&n=16&k=16&iters=1&warmup=0',
    '--base',
    'https://bench.example.org/app/',
    '--json',
    test.info().outputPath('b.json'),
  );
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/share: https:\/\/bench\.example\.org\/app\/\?/);
  expect(r.out).toContain('the app at https://bench.example.org/app/');
  expect(bench('m=8', '--base', 'javascript:alert(1)').code).toBe(2);
});

test('--kernels prints a row per matmul variant with its ratio to naive', () => {
  const r = bench('mode=wafer&tiles=1x1&m=64&n=64&k=64&iters=1&warmup=0', '--kernels', '--json', test.info().outputPath('k.json'));
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^naive\/wg8x8\s+64x64x64\s.*1\.00x/m);
  expect(r.out).toMatch(/^vec4\/wg8x8\/t4x4\s+64x64x64/m);
});

test('a run whose verification fails exits 1 and says so', () => {
  const r = bench('mode=cluster&shards=2&m=32&n=32&k=32&iters=1&warmup=0', '--test-corrupt', '--json', test.info().outputPath('bad.json'));
  expect(r.code).toBe(1);
  expect(r.err).toContain('verification FAILED');
  expect(r.out).toMatch(/^cluster\s.*\sNO\s/m);
});

test('bad arguments exit 2, naming what was wrong', () => {
  const q = bench('m=-1&mode=fast');
  expect(q.code).toBe(2);
  expect(q.err).toContain('m="-1": must be an integer from 1');
  expect(q.err).toContain('mode="fast": must be one of compare, wafer, cluster');
  const o = bench('--frobnicate');
  expect(o.code).toBe(2);
  expect(o.err).toContain('unknown option --frobnicate');
  const layout = bench('mode=wafer&tiles=4x4&m=2&n=2&k=2&iters=1');
  expect(layout.code).toBe(2);
  expect(layout.err).toContain('tiles=4x4 needs m ≥ 4');
});

test('a browser that is missing exits 2 with the path', () => {
  const r = bench('m=8', '--browser', '/nonexistent/chromium');
  expect(r.code).toBe(2);
  expect(r.err).toContain('cannot start Chromium at /nonexistent/chromium');
});
