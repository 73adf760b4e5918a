// Faults and stops: each fault ends the run with an error naming what failed, the page stays usable, and the next
// run works; Stop ends every worker within a second, and start/stop cycles leak nothing.

import { expect, test, type Page } from '@playwright/test';
import { expectVerified, openApp, runQuery } from './helpers.ts';
import type { FaultSpec } from '../../src/engine/exec.ts';

test.describe.configure({ mode: 'serial' });

let page: Page;

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  await openApp(page);
  // The first run measures the autotune (cached per adapter), which the short timeouts below are not meant for.
  expectVerified((await runQuery(page, 'mode=wafer&tiles=1x1&m=8&n=8&k=8&iters=1&warmup=0')).result!);
});

test.afterAll(async () => page.close());

const query = 'mode=cluster&shards=3&m=32&n=32&k=48&iters=3&warmup=1&timeout=4000';

async function runWithFault(fault: FaultSpec, q = query): Promise<{ error: string | null; state: string; ms: number; workers: number }> {
  return page.evaluate(
    async ({ q, fault }) => {
      const t0 = performance.now();
      try {
        await waferBench.run(q, { fault });
        return { error: null, state: document.body.dataset.benchState ?? '', ms: performance.now() - t0, workers: waferBench.workers };
      } catch (e) {
        return {
          error: (e as Error).message,
          state: document.body.dataset.benchState ?? '',
          ms: performance.now() - t0,
          workers: waferBench.workers,
        };
      }
    },
    { q, fault },
  );
}

const faults: [FaultSpec, RegExp][] = [
  [{ kind: 'crash', shard: 1, afterOps: 5 }, /cluster shard 1 failed: .*injected crash/],
  [{ kind: 'lose-device', shard: 1, afterOps: 5 }, /cluster shard 1: GPU device lost/],
  [{ kind: 'hang', shard: 1, afterOps: 5 }, /cluster shard 1 did not answer within 4000 ms/],
  [{ kind: 'drop', shard: 1, afterOps: 1 }, /shard 1 was lost or reordered|timed out after 3000 ms waiting for a message from shard 1/],
  [{ kind: 'corrupt-message', shard: 1, afterOps: 1 }, /message from shard 1 #\d+ is corrupted/],
];

for (const transport of ['sab', 'message']) {
  for (const [fault, message] of faults) {
    test(`${fault.kind} (${transport}): the run fails naming it, and the next run works`, async () => {
      const r = await runWithFault(fault, `${query}&transport=${transport}`);
      expect(r.error).toMatch(message);
      expect(r.state).toBe('error');
      expect(r.workers).toBe(0);
      await expect(page.locator('.messages .error').last()).toContainText('shard 1');
      await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeEnabled();
      const next = await runQuery(page, `${query}&transport=${transport}`);
      expect(next.error).toBeNull();
      expectVerified(next.result!);
    });
  }
}

test('Stop mid-run ends every worker within a second; 20 start/stop cycles leak nothing', async () => {
  const base = await runQuery(page, 'mode=cluster&shards=4&m=64&n=64&k=64&iters=3&warmup=1');
  expectVerified(base.result!);
  const baseMs = base.result!.runs[0]!.stepMs.median;
  for (let i = 0; i < 20; i++) {
    const r = await page.evaluate(async (i) => {
      const done = waferBench.run(`mode=cluster&shards=4&m=64&n=64&k=64&iters=50&warmup=0&seed=${i}`).catch((e: Error) => e.message);
      // Stop at a different point each cycle: during start-up, autotune, warm-up or the timed steps.
      await new Promise<void>((resolve) => {
        let n = 0;
        const on = () => {
          if (++n > i % 5) {
            window.removeEventListener('wafer-bench:progress', on);
            resolve();
          }
        };
        window.addEventListener('wafer-bench:progress', on);
      });
      const t0 = performance.now();
      waferBench.stop();
      const outcome = await done;
      while (waferBench.workers > 0 && performance.now() - t0 < 1000) await new Promise((r) => setTimeout(r, 10));
      return { outcome, ms: performance.now() - t0, workers: waferBench.workers, state: document.body.dataset.benchState };
    }, i);
    expect(r.outcome).toBe('stopped');
    expect(r.state).toBe('stopped');
    expect(r.workers).toBe(0);
    expect(r.ms).toBeLessThan(1000);
  }
  const after = await runQuery(page, 'mode=cluster&shards=4&m=64&n=64&k=64&iters=3&warmup=1');
  expectVerified(after.result!);
  expect(await page.evaluate(() => waferBench.workers)).toBe(0);
  expect(after.result!.runs[0]!.stepMs.median).toBeLessThan(baseMs * 3);
});

test('iterations run while the tab is hidden are marked and left out of the statistics', async () => {
  const r = await page.evaluate(async () => {
    let hidden = false;
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
    const on = (ev: Event) => {
      const phase = (ev as CustomEvent<{ phase: string }>).detail.phase;
      if (/step 1\/6/.test(phase)) hidden = true;
      if (/step 3\/6/.test(phase)) hidden = false;
    };
    window.addEventListener('wafer-bench:progress', on);
    try {
      return await waferBench.run('mode=wafer&tiles=1x1&m=32&n=32&k=32&iters=6&warmup=0');
    } finally {
      window.removeEventListener('wafer-bench:progress', on);
      delete (document as unknown as Record<string, unknown>).visibilityState;
    }
  });
  const its = r.runs[0]!.iterations;
  expect(its.map((x) => x.hidden)).toEqual([false, true, true, false, false, false]);
  expect(r.runs[0]!.stepMs.samples).toBe(4);
  expect(r.runs[0]!.emulatedStepMs.samples).toBe(4);
});
