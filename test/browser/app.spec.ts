// The page end to end: automation hooks, a single-device GEMM with a schema-1 result, bad input, and a run whose
// verification must fail.

import { expect, test } from '@playwright/test';
import { expectVerified, openApp, runQuery } from './helpers.ts';

test('the default page loads without console errors and publishes the hooks', async ({ page }) => {
  const errors = await openApp(page);
  await expect(page.locator('body')).toHaveAttribute('data-bench-state', 'idle');
  await expect(page.getByRole('heading', { name: 'wafer-bench' })).toBeVisible();
  await expect(page.locator('.device')).toContainText('Cross-origin isolated');
  await expect(page.locator('.device')).toContainText('yes');
  expect(await page.evaluate(() => ({ run: typeof waferBench.run, stop: typeof waferBench.stop, result: waferBench.result }))).toEqual({
    run: 'function',
    stop: 'function',
    result: null,
  });
  expect(errors).toEqual([]);
});

test('a single-device GEMM runs end to end with events, state and a schema-2 result', async ({ page }) => {
  const errors = await openApp(page);
  const events = page.evaluate(
    () =>
      new Promise<string[]>((resolve) => {
        const seen: string[] = [];
        window.addEventListener('wafer-bench:progress', () => seen.includes('progress') || seen.push('progress'));
        window.addEventListener('wafer-bench:result', () => resolve([...seen, 'result']));
      }),
  );
  const { result, error, state } = await runQuery(page, 'mode=wafer&tiles=1x1&workload=gemm&m=65&n=33&k=130&iters=3&warmup=1');
  expect(error).toBeNull();
  expect(state).toBe('done');
  expect(await events).toEqual(['progress', 'result']);
  const r = result!;
  expect(r).toMatchObject({ schema: 2, tool: 'wafer-bench', config: { mode: 'wafer', m: 65, n: 33, k: 130, tiles: '1x1' } });
  expect(r.env.adapter).toHaveProperty('vendor');
  expect(r.env.crossOriginIsolated).toBe(true);
  expect(r.runs).toHaveLength(1);
  expectVerified(r);
  const run = r.runs[0]!;
  expect(run).toMatchObject({ mode: 'wafer', devices: 1, flops: 2 * 65 * 33 * 130, commBytes: 0 });
  expect(run.stepMs.samples).toBe(3);
  expect(run.gflops.median).toBeGreaterThan(0);
  expect(run.kernelKeys.length).toBeGreaterThan(0);
  expect(await page.evaluate(() => waferBench.result?.startedAt)).toBe(r.startedAt);
  await expect(page.locator('.results table.runs')).toContainText('wafer');
  expect(errors).toEqual([]);
});

test('invalid and unknown URL parameters are reported by name and fall back to defaults', async ({ page }) => {
  await openApp(page, 'm=-3&mode=turbo&colour=blue&tiles=%3Cb%3Ex%3C%2Fb%3E');
  const errors = page.locator('.messages .error');
  await expect(errors.filter({ hasText: 'm="-3"' })).toContainText('must be an integer from 1');
  await expect(errors.filter({ hasText: 'mode=' })).toContainText('one of compare, wafer, cluster');
  await expect(errors.filter({ hasText: 'tiles=' })).toContainText('"<b>x</b>"');
  await expect(page.locator('.messages .note')).toContainText('unknown parameter "colour"');
  expect(await page.locator('.messages b').count()).toBe(0);
  await expect(page.locator('#p-mode')).toHaveValue('compare');
});

test('a layout the problem cannot fill is refused with the reason', async ({ page }) => {
  await openApp(page);
  const { error, state } = await runQuery(page, 'mode=wafer&tiles=4x4&m=2&n=2&k=2&iters=1&warmup=0');
  expect(state).toBe('error');
  expect(error).toMatch(/tiles=4x4 needs m ≥ 4/);
  await expect(page.locator('.messages .error').last()).toContainText('tiles=4x4');
});

test('a corrupted kernel output is caught: verified false, the page says so', async ({ page }) => {
  await openApp(page);
  const out = await page.evaluate(async () => {
    const r = await waferBench.run('mode=cluster&shards=2&m=32&n=32&k=32&iters=1&warmup=0', { corrupt: true });
    return { verified: r.runs.map((x) => x.verified), state: document.body.dataset.benchState };
  });
  expect(out).toEqual({ verified: [false], state: 'error' });
  await expect(page.locator('.messages .error').last()).toContainText('Verification failed');
  await expect(page.locator('td.bad')).toContainText('NO');
});
