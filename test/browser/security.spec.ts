// Hostile input in the page: every bad value ends in a visible message naming the parameter, nothing from a URL,
// a fragment or a message is written as HTML, and sizes past the adapter's limits are refused before allocation.

import { expect, test } from '@playwright/test';
import { openApp, runQuery } from './helpers.ts';

const hostile: [string, string, RegExp][] = [
  ['mode', '<img src=x onerror="window.__pwned=1">', /mode=.*must be one of/],
  ['workload', 'javascript:window.__pwned=1', /workload=.*must be one of/],
  ['m', '1e308', /m="1e308": must be an integer/],
  ['n', 'NaN', /n="NaN": must be an integer/],
  ['k', '-64', /k="-64": must be an integer/],
  ['shards', '99999999999999999999', /shards=.*must be an integer from 1 to 4096/],
  ['tiles', '２x２', /tiles=.*must be RxC/],
  ['alpha', '<svg onload=window.__pwned=1>', /alpha=.*must be a number/],
  ['seed', '\u202e1', /seed=.*must be an integer/],
];

test('hostile URL values are named, shown as text, and run no script', async ({ page }) => {
  const q = hostile.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&') + '&m=5&<b>x</b>=1';
  const errors = await openApp(page, `${q}#<img src=x onerror=window.__pwned=1>`);
  for (const [param, , message] of hostile)
    await expect(page.locator(`.messages .error[data-param="${param}"]`).filter({ hasText: message })).toHaveCount(1);
  await expect(page.locator('.messages .error[data-param="m"]').last()).toContainText('more than once');
  await expect(page.locator('.messages .note')).toContainText('unknown parameter "<b>x</b>"');
  expect(await page.locator('#app img, #app svg[onload], #app b').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  await expect(page.locator('body')).toHaveAttribute('data-bench-state', 'idle');
  expect(errors.filter((e) => !/shared result/i.test(e))).toEqual([]);
});

test('a 100 kB query is refused as a whole with a visible message, from the URL or a message', async ({ page }) => {
  await openApp(page, `m=${'9'.repeat(100_000)}`);
  await expect(page.locator('.messages .error')).toContainText('longer than 8192 characters');
  await expect(page.locator('#p-m')).toHaveValue('1024');
  await page.evaluate(() => window.postMessage({ source: 'wafer-bench', type: 'run', query: 'n=' + '7'.repeat(100_000) }, '*'));
  await expect(page.locator('.messages .error').last()).toContainText('longer than');
  expect(await page.evaluate(() => document.body.dataset.benchState)).toBe('idle');
});

test('a hostile run message is validated like the URL and shown as text', async ({ page }) => {
  await openApp(page);
  await page.evaluate(() =>
    window.postMessage(
      { source: 'wafer-bench', type: 'run', query: 'mode=<img src=x onerror=window.__pwned=1>&iters=1&m=4&n=4&k=4&warmup=0&shards=1' },
      '*',
    ),
  );
  await expect(page.locator('body')).toHaveAttribute('data-bench-state', /done|error/, { timeout: 60_000 });
  await expect(page.locator('.messages .error').first()).toContainText('mode=');
  expect(await page.locator('#app img').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
});

test('a size past the adapter’s binding limit is refused before any allocation, naming the limit', async ({ page }) => {
  await openApp(page);
  const r = await runQuery(page, 'mode=wafer&tiles=1x1&m=20000&n=20000&k=1&iters=1&warmup=0');
  expect(r.state).toBe('error');
  expect(r.error).toMatch(/C buffer of 1600000000 bytes, over this adapter's limit maxStorageBufferBindingSize\/maxBufferSize = \d+ bytes/);
  const host = await runQuery(page, 'mode=cluster&shards=16&m=65536&n=65536&k=65536&strategy=rows&iters=1');
  expect(host.error).toMatch(/over|limit/);
  expect(await page.evaluate(() => waferBench.workers)).toBe(0);
});

test('the page carries a Content-Security-Policy without inline script', async ({ page }) => {
  await openApp(page);
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain("'unsafe-inline' 'unsafe-eval'");
  expect(csp).toContain("object-src 'none'");
});
