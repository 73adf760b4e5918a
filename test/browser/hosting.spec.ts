// Hosting without COOP/COEP (dist/ on a plain static server): the app works on the message transport and says why
// sab is off; the optional service worker makes the page isolated after one reload, and sab then works.

import { expect, test } from '@playwright/test';
import { kPlainUrl } from '../../playwright.config.ts';
import { expectVerified, runQuery } from './helpers.ts';

test('a plain static host: message transport, the reason for no sab, then isolation by service worker', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${kPlainUrl}/`);
  await page.waitForFunction(() => typeof globalThis.waferBench === 'object');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
  await expect(page.locator('.device')).toContainText('message only: SharedArrayBuffer needs COOP/COEP headers');
  const plain = await runQuery(page, 'mode=cluster&shards=3&m=24&n=24&k=24&iters=2&warmup=0');
  expectVerified(plain.result!);
  expect(plain.result!.env).toMatchObject({ crossOriginIsolated: false, transport: 'message' });
  const sab = await runQuery(page, 'mode=cluster&shards=2&m=8&n=8&k=8&iters=1&transport=sab');
  expect(sab.error).toMatch(/transport=sab needs a cross-origin isolated page/);

  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: /Turn on isolation/ }).click()]);
  await page.waitForFunction(() => crossOriginIsolated === true, null, { timeout: 20_000 });
  await page.waitForFunction(() => typeof globalThis.waferBench === 'object');
  await expect(page.locator('.device')).toContainText('Isolated by the service worker');
  const isolated = await runQuery(page, 'mode=cluster&shards=3&m=24&n=24&k=24&iters=2&warmup=0');
  expectVerified(isolated.result!);
  expect(isolated.result!.env).toMatchObject({ crossOriginIsolated: true, transport: 'sab' });
  expect(errors).toEqual([]);
});
