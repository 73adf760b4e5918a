// The page during runs: no main-thread task over 50 ms (charts batched to animation frames, heavy work in workers
// or in short slices), and nothing accumulates: ten runs in a row hold the same GPU memory and leave no worker.

import { expect, test } from '@playwright/test';
import { expectVerified, openApp, runQuery } from './helpers.ts';

test('no long task over 50 ms on the main thread during a run with live charts', async ({ page }) => {
  await openApp(page);
  // Warm the autotune cache first: the run under observation is the one a returning visitor gets.
  expectVerified((await runQuery(page, 'mode=wafer&tiles=1x1&m=8&n=8&k=8&iters=1&warmup=0')).result!);
  const longTasks = await page.evaluate(async () => {
    const seen: number[] = [];
    const obs = new PerformanceObserver((list) => list.getEntries().forEach((e) => seen.push(e.duration)));
    obs.observe({ type: 'longtask' });
    await waferBench.run('mode=compare&m=200&n=200&k=200&shards=4&iters=8&warmup=1');
    await waferBench.run('workload=allreduce&mode=cluster&shards=4&minBytes=1024&maxBytes=1048576&iters=3&warmup=1');
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 100)));
    obs.disconnect();
    return seen;
  });
  expect(longTasks.filter((d) => d > 50)).toEqual([]);
});

test('ten runs in a row: same allocated bytes, all freed, no worker left', async ({ page }) => {
  await openApp(page);
  const ledgers: string[] = [];
  for (let i = 0; i < 10; i++) {
    const { result } = await runQuery(page, 'mode=compare&m=48&n=40&k=56&shards=3&iters=1&warmup=0');
    expectVerified(result!);
    for (const run of result!.runs) {
      expect(run.ledger.held.bytes).toBeGreaterThan(0);
      expect(run.ledger.leftAfterFree).toEqual({ buffers: 0, bytes: 0 });
    }
    ledgers.push(JSON.stringify(result!.runs.map((r) => r.ledger)));
    expect(await page.evaluate(() => waferBench.workers)).toBe(0);
  }
  expect(new Set(ledgers).size).toBe(1);
});
