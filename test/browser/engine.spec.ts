// Both execution styles on real WebGPU: every workload × mode × strategy × collective × transport at small sizes,
// verified against the CPU reference, with the bytes and bandwidth relations of the contract.

import { expect, test, type Page } from '@playwright/test';
import { expectVerified, openApp, runQuery } from './helpers.ts';

test.describe.configure({ mode: 'serial' });

let page: Page;
const errors: string[] = [];

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  await openApp(page, '', errors);
});

test.afterAll(async () => {
  expect(errors).toEqual([]);
  await page.close();
});

const small = 'iters=2&warmup=1';
const gemm = `workload=gemm&m=33&n=40&k=65&${small}`;
const mlp = `workload=mlp&tokens=9&hidden=16&layers=2&${small}`;

const cases: string[] = [`mode=wafer&tiles=2x2&${gemm}`, `mode=wafer&tiles=1x3&${gemm}`, `mode=wafer&tiles=2x2&${mlp}`];
for (const transport of ['sab', 'message']) {
  for (const collective of ['ring', 'rhd', 'direct']) {
    cases.push(`mode=cluster&strategy=ksplit&shards=4&collective=${collective}&transport=${transport}&${gemm}`);
    cases.push(`mode=cluster&shards=4&collective=${collective}&transport=${transport}&${mlp}`);
  }
  cases.push(`mode=cluster&strategy=ksplit&shards=3&collective=ring&transport=${transport}&${gemm}`);
  cases.push(`mode=cluster&strategy=rows&shards=3&transport=${transport}&${gemm}`);
  cases.push(`mode=cluster&strategy=summa&shards=4&transport=${transport}&${gemm}`);
  cases.push(`mode=cluster&strategy=summa&shards=6&grid=2x3&transport=${transport}&${gemm}`);
}

for (const q of cases) {
  test(`verified: ${q}`, async () => {
    const { result, error, state } = await runQuery(page, q);
    expect(error).toBeNull();
    expect(state).toBe('done');
    expectVerified(result!);
    for (const run of result!.runs) {
      expect(run.emulatedStepMs.median).toBeGreaterThan(0);
      expect(run.timeline.length).toBeGreaterThan(0);
      if (run.mode === 'cluster') expect(result!.env.transport).toBe(new URLSearchParams(q).get('transport'));
    }
  });
}

test('compare, output=replicated: both modes verified, cluster ksplit commBytes = 2(n−1)/n·M·N·4, summary and target filled', async () => {
  const { result, error } = await runQuery(page, 'mode=compare&workload=gemm&m=64&n=64&k=64&shards=4&iters=2&warmup=1&output=replicated');
  expect(error).toBeNull();
  const r = result!;
  expectVerified(r);
  expect(r.schema).toBe(2);
  expect(r.runs.map((x) => x.mode)).toEqual(['wafer', 'cluster']);
  expect(r.runs[1]!.commBytes).toBe(2 * (3 / 4) * 64 * 64 * 4);
  expect(r.summary.waferUnits).toBe(4);
  expect(r.summary.clusterUnits).toBe(4);
  expect(r.summary.speedup).toBeCloseTo(r.summary.waferGflops! / r.summary.clusterGflops!, 9);
  for (const run of r.runs) {
    expect(run.commFraction).toBeCloseTo(run.exposedCommMs / run.emulatedStepMs.median, 9);
    expect(run.target!.stepUs).toBeGreaterThan(0);
    expect(run.target!.band.lowUs).toBeLessThanOrEqual(run.target!.stepUs);
    expect(run.target!.band.highUs).toBeGreaterThanOrEqual(run.target!.stepUs);
  }
  expect(r.summary.target!.speedup).toBeCloseTo(r.runs[1]!.target!.stepUs / r.runs[0]!.target!.stepUs, 9);
});

test('compare, output=sharded (the default): the cluster ends with a reduce-scatter, (n−1)/n·M·N·4 bytes, C split by rows', async () => {
  const { result, error } = await runQuery(page, 'mode=compare&workload=gemm&m=64&n=64&k=64&shards=4&iters=1&warmup=0');
  expect(error).toBeNull();
  expectVerified(result!);
  expect(result!.runs[1]!.commBytes).toBe((3 / 4) * 64 * 64 * 4);
});

for (const transport of ['sab', 'message']) {
  for (const collective of ['ring', 'rhd', 'direct']) {
    test(`all-reduce sweep over 4 shards, ${collective}, ${transport}: #wrong 0, busbw = algbw·2·3/4`, async () => {
      const { result, error } = await runQuery(
        page,
        `workload=allreduce&mode=cluster&shards=4&collective=${collective}&transport=${transport}&minBytes=1024&maxBytes=65536&iters=2&warmup=1`,
      );
      expect(error).toBeNull();
      const rows = result!.collectives;
      expect(rows.map((x) => x.bytes)).toEqual([1024, 4096, 16384, 65536]);
      for (const row of rows) {
        expect(row.wrong).toBe(0);
        expect(row.devices).toBe(4);
        expect(row.algbw).toBeCloseTo(row.bytes / (row.timeUs * 1e-6) / 1e9, 6);
        expect(row.busbw).toBeCloseTo(row.algbw * ((2 * 3) / 4), 9);
      }
    });
  }
}

test('all-reduce across tile buffers on one device (wafer) and over 3 shards (ring)', async () => {
  const { result, error } = await runQuery(page, 'workload=allreduce&mode=compare&shards=3&minBytes=4096&maxBytes=16384&iters=2&warmup=1');
  expect(error).toBeNull();
  const rows = result!.collectives;
  expect(rows.filter((x) => x.mode === 'wafer').length).toBe(2);
  expect(rows.every((x) => x.wrong === 0)).toBe(true);
  expect(rows.find((x) => x.mode === 'cluster')!.busbw).toBeCloseTo(rows.find((x) => x.mode === 'cluster')!.algbw * (4 / 3), 9);
});

test('halving-doubling over 3 shards is refused with the reason', async () => {
  const { error } = await runQuery(page, 'workload=allreduce&mode=cluster&shards=3&collective=rhd&maxBytes=4096&iters=1');
  expect(error).toMatch(/power-of-two/);
});

test('the next run works after a failed one, and no worker is left behind', async () => {
  const { result } = await runQuery(page, `mode=cluster&shards=2&${gemm}`);
  expectVerified(result!);
  expect(await page.evaluate(() => waferBench.workers)).toBe(0);
});
