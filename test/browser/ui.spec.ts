// What a person sees and shares: charts drawn with data, controls in the URL, shared-result links with overlay,
// embeds from a second origin (iframe messages and the custom element), and screenshots of the main states.

import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { kAppUrl, kPlainUrl } from '../../playwright.config.ts';
import { expectVerified, openApp, runQuery } from './helpers.ts';

/** A page on a second origin standing for a docs site (no COOP/COEP). */
async function openDocsHost(page: Page): Promise<void> {
  await page.route(`${kPlainUrl}/docs-host.html`, (r) =>
    r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>docs host</title><body></body>' }),
  );
  await page.goto(`${kPlainUrl}/docs-host.html`);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
}

test('a small compare run draws every chart with data, and the table', async ({ page }) => {
  const errors = await openApp(page, 'm=64&n=64&k=64&iters=4&warmup=1');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.locator('body')).toHaveAttribute('data-bench-state', 'done', { timeout: 120_000 });
  const charts = page.locator('figure.chart');
  await expect(charts).toHaveCount(4); // throughput, split, two Gantt charts
  await expect(charts.nth(0).locator('circle.point')).toHaveCount(8);
  await expect(charts.nth(1).locator('rect.bar.compute')).toHaveCount(2);
  expect(await charts.nth(2).locator('rect.bar').count()).toBeGreaterThan(4);
  expect(await charts.nth(3).locator('rect.bar.comm').count()).toBeGreaterThan(0);
  for (let i = 0; i < 4; i++) await expect(charts.nth(i).locator('svg')).toHaveAttribute('aria-label', /\S/);
  await page.getByRole('combobox', { name: 'Timeline' }).selectOption('measured');
  await expect(page.locator('figure.chart figcaption').nth(2)).toContainText('measured timeline');
  await expect(page.locator('table.runs tbody tr')).toHaveCount(2);
  await expect(page.locator('.summary').first()).toContainText('verified');
  await expect(page.locator('.phase')).toContainText('Done');
  await shot(page, 'compare-done');
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  expect(JSON.parse(await readFile((await json.path())!, 'utf8'))).toMatchObject({ schema: 2, config: { m: 64 } });
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  const lines = (await readFile((await csv.path())!, 'utf8')).trim().split('\n');
  expect(lines[0]).toMatch(/^mode,workload,units,/);
  expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['wafer', 'cluster']);
  await page.getByRole('button', { name: 'Copy link with result' }).click();
  await expect(page.locator('section.results')).toHaveAttribute('data-link', /\?.*m=64.*#r=/);
  expect(errors).toEqual([]);
});

test('all-reduce and scaling charts draw on log axes', async ({ page }) => {
  await openApp(page);
  const ar = await runQuery(page, 'workload=allreduce&mode=cluster&shards=4&minBytes=1024&maxBytes=16384&iters=2&warmup=1');
  expect(ar.error).toBeNull();
  await expect(page.locator('figure.chart').first().locator('circle.point')).toHaveCount(6); // 3 sizes × algbw, busbw
  await expect(page.locator('table.collectives tbody tr')).toHaveCount(3);
  await shot(page, 'allreduce-done');
  const sw = await runQuery(page, 'sweep=shards&shards=4&m=32&n=32&k=32&iters=2&warmup=0');
  expect(sw.error).toBeNull();
  expect(sw.result!.scaling!.map((s) => s.units)).toEqual([1, 2, 4]);
  const scaling = page.locator('figure.chart', { hasText: 'Scaling' });
  await expect(scaling.locator('circle.point')).toHaveCount(6);
});

test('changing a control updates the URL, and reloading that URL restores it', async ({ page }) => {
  await openApp(page);
  await page.getByLabel('Workload').selectOption('mlp');
  await page.getByLabel('Shards').fill('8');
  await page.getByLabel('Shards').press('Tab');
  await page.getByLabel('Link').selectOption('ib-ndr');
  await expect(page).toHaveURL(/workload=mlp/);
  const url = new URL(page.url());
  expect(Object.fromEntries(url.searchParams)).toEqual({ workload: 'mlp', shards: '8', link: 'ib-ndr' });
  await page.reload();
  await expect(page.getByLabel('Workload')).toHaveValue('mlp');
  await expect(page.getByLabel('Shards')).toHaveValue('8');
  await expect(page.getByLabel('Link')).toHaveValue('ib-ndr');
  await expect(page.getByLabel('M', { exact: true })).toBeHidden(); // GEMM-only controls hide for the MLP
  await page.getByLabel('Preset').selectOption({ label: 'Quick check (small)' });
  await expect(page).toHaveURL(/m=128/);
});

test('a shared-result link shows the shared result, then overlays a run made here', async ({ page }) => {
  await openApp(page);
  const first = await runQuery(page, 'mode=compare&m=48&n=48&k=48&iters=3&warmup=0');
  expectVerified(first.result!);
  const link = await page.evaluate(() => waferBench.shareLink(waferBench.result));
  expect(link).toContain('#r=');
  const shared = await page.context().newPage();
  const errors = await openApp(shared, new URL(link).search.slice(1) + new URL(link).hash);
  const box = shared.getByRole('region', { name: 'Shared result' });
  await expect(box).toContainText('Shared result');
  await expect(box).toContainText(first.result!.env.adapter.architecture || 'unknown');
  await expect(shared.locator('figure.chart').first().locator('circle.point')).toHaveCount(6);
  await box.getByRole('button', { name: /Run this configuration here/ }).click();
  await expect(shared.locator('body')).toHaveAttribute('data-bench-state', 'done', { timeout: 120_000 });
  // The throughput chart now holds both: 2 modes × 3 iterations, shared and new.
  await expect(shared.locator('figure.chart').first().locator('circle.point')).toHaveCount(12);
  await expect(shared.locator('.legend')).toContainText(['shared (dashed)']);
  await shot(shared, 'shared-overlay');
  expect(errors).toEqual([]);
});

test('a broken shared-result fragment is reported, not run', async ({ page }) => {
  await openApp(page, 'm=32#r=not-base64!!');
  await expect(page.locator('.messages .error')).toContainText('cannot be read');
});

test('an iframe on a second origin gets ready and result, and obeys a run message', async ({ page }) => {
  await openDocsHost(page);
  const got = await page.evaluate(
    async ({ app, origin }) => {
      const seen: { type: string; workload?: string; transport?: string; m?: unknown }[] = [];
      const frame = document.createElement('iframe');
      frame.src = `${app}/?embed=1&m=32&n=32&k=32&iters=2&warmup=0&origin=${encodeURIComponent(origin)}`;
      document.body.append(frame);
      let runs = 0;
      await new Promise<void>((resolve) =>
        window.addEventListener('message', (ev) => {
          if (ev.origin !== app || ev.data?.source !== 'wafer-bench') return;
          const t = ev.data.type as string;
          if (t === 'progress') return;
          seen.push({
            type: t,
            ...(t === 'result'
              ? { m: ev.data.result.config.m, transport: ev.data.result.env.transport, workload: ev.data.result.config.workload }
              : {}),
          });
          if (t === 'result' && ++runs === 1)
            frame.contentWindow!.postMessage(
              { source: 'wafer-bench', type: 'run', query: 'mode=wafer&m=40&n=24&k=16&iters=1&warmup=0' },
              app,
            );
          if (t === 'result' && runs === 2) resolve();
          if (t === 'error') resolve();
        }),
      );
      return seen;
    },
    { app: kAppUrl, origin: kPlainUrl },
  );
  expect(got).toEqual([
    { type: 'ready' },
    { type: 'result', m: 32, transport: 'message', workload: 'gemm' },
    { type: 'result', m: 40, transport: 'message', workload: 'gemm' },
  ]);
});

test('the <wafer-bench> element embeds a demo from another origin and re-dispatches its events', async ({ page }) => {
  await openDocsHost(page);
  const result = await page.evaluate(async (app) => {
    await import(`${app}/wafer-bench-element.js`);
    const el = document.createElement('wafer-bench');
    el.setAttribute('src', `${app}/`);
    el.setAttribute('query', 'mode=cluster&shards=2&m=24&n=24&k=24&iters=2&warmup=0');
    const done = new Promise<{ ready: boolean; verified: boolean[]; height: string }>((resolve) => {
      let ready = false;
      el.addEventListener('wafer-bench:ready', () => (ready = true));
      el.addEventListener('wafer-bench:result', (ev) => {
        const d = (ev as CustomEvent).detail;
        resolve({
          ready,
          verified: d.result.runs.map((r: { verified: boolean }) => r.verified),
          height: el.querySelector('iframe')!.style.height,
        });
      });
    });
    document.body.append(el);
    return done;
  }, kAppUrl);
  expect(result).toEqual({ ready: true, verified: [true], height: '460px' });
});

test('the docs pages load with their demos', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${kAppUrl}/docs.html`);
  await expect(page.getByRole('heading', { name: 'Exposed communication' })).toBeVisible();
  await expect(page.locator('wafer-bench iframe')).toHaveCount(2);
  await page.goto(`${kAppUrl}/embed-example.html`);
  await expect(page.locator('#element-status')).toContainText('done', { timeout: 120_000 });
  await shot(page, 'embed-example');
  expect(errors).toEqual([]);
});
