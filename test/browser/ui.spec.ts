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

test('the first view is the answer: the projection before any run, and it follows the controls', async ({ page }) => {
  const errors = await openApp(page);
  await page.waitForFunction(() => waferBench.projection !== null);
  const p = await page.evaluate(() => waferBench.projection!);
  expect(p).toMatchObject({ schema: 2, projection: true, config: { m: 1024, workload: 'gemm' } });
  expect(p.runs.map((r) => r.mode)).toEqual(['wafer', 'cluster']);
  for (const r of p.runs) expect(r.target!.stepUs).toBeGreaterThan(0);
  await expect(page.locator('.answer .verdict')).toContainText('Cluster step ÷ wafer step');
  await expect(page.locator('.answer .card')).toHaveCount(2);
  await expect(page.locator('figure.chart[data-chart="step-split"] g.bar')).toHaveCount(2);
  await expect(page.locator('figure.chart[data-chart="timeline-cluster"] rect.event').first()).toBeVisible();
  expect(await page.evaluate(() => document.body.dataset.benchState)).toBe('idle');
  const next = page.evaluate(
    () =>
      new Promise<number>((resolve) =>
        window.addEventListener('wafer-bench:projection', (e) => resolve((e as CustomEvent).detail.config.m), { once: true }),
      ),
  );
  await page.getByLabel('M', { exact: true }).fill('4096');
  await page.getByLabel('M', { exact: true }).press('Tab');
  expect(await next).toBe(4096);
  await expect(page.locator('.answer .card').first()).toContainText('TFLOP/s');
  await shot(page, 'projection-1400');
  expect(errors).toEqual([]);
});

test('a small compare run adds the local charts and the table; exports wait for a result', async ({ page }) => {
  const errors = await openApp(page, 'm=64&n=64&k=64&iters=4&warmup=1');
  await expect(page.getByRole('button', { name: 'Export JSON' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Copy link with result' })).toBeDisabled();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.locator('body')).toHaveAttribute('data-bench-state', 'done', { timeout: 120_000 });
  const throughput = page.locator('figure.chart[data-chart="throughput"]');
  await expect(throughput.locator('circle.point')).toHaveCount(8);
  await expect(page.locator('figure.chart[data-chart="step-split"] g.bar')).toHaveCount(2);
  for (const fig of await page.locator('figure.chart').all()) {
    await expect(fig.locator('svg')).toHaveAttribute('aria-labelledby', /chart-/);
    expect(await fig.locator('details.data table tbody tr').count()).toBeGreaterThan(0);
  }
  await page.getByLabel('Timelines:').selectOption('measured');
  await expect(page.locator('figure.chart[data-chart="timeline-wafer"] figcaption')).toContainText('as measured here');
  await expect(page.locator('table.runs tbody tr')).toHaveCount(2);
  await expect(page.locator('.local .summary')).toContainText('verified');
  await expect(page.locator('.phase')).toContainText('Done');
  await shot(page, 'compare-done');
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  expect(JSON.parse(await readFile((await json.path())!, 'utf8'))).toMatchObject({ schema: 2, config: { m: 64 } });
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  const lines = (await readFile((await csv.path())!, 'utf8')).trim().split('\n');
  expect(lines[0]).toMatch(/^mode,workload,units,/);
  expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['wafer', 'cluster']);
  const [trace] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export trace' }).click()]);
  expect(JSON.parse(await readFile((await trace.path())!, 'utf8')).traceEvents.length).toBeGreaterThan(10);
  await page.getByRole('button', { name: 'Copy link with result' }).click();
  await expect(page.locator('section.results')).toHaveAttribute('data-link', /\?.*m=64.*#r=/);
  expect(errors).toEqual([]);
});

test('all-reduce, size and unit sweeps chart on log axes', async ({ page }) => {
  await openApp(page);
  const ar = await runQuery(page, 'workload=allreduce&mode=cluster&shards=4&minBytes=1024&maxBytes=16384&iters=2&warmup=1');
  expect(ar.error).toBeNull();
  const bw = page.locator('figure.chart[data-chart="bandwidth"]');
  await expect(bw.locator('circle.point')).toHaveCount(3); // measured here; the target is the line
  await expect(bw.locator('path.series')).toHaveCount(1);
  await expect(page.locator('table.collectives tbody tr')).toHaveCount(3);
  await shot(page, 'allreduce-done');
  await page.goto(`${kAppUrl}/?sweep=size&m=4096&n=4096&k=4096&shards=8`);
  const sweep = page.locator('figure.chart[data-chart="size-sweep"]');
  await expect(sweep.locator('path.series')).toHaveCount(2);
  expect(await sweep.locator('circle.point').count()).toBeGreaterThanOrEqual(12);
  const sw = await runQuery(page, 'sweep=shards&shards=4&m=32&n=32&k=32&iters=2&warmup=0');
  expect(sw.error).toBeNull();
  expect(sw.result!.scaling!.map((s) => s.units)).toEqual([1, 2, 4]);
  await expect(page.locator('figure.chart[data-chart="scaling"] circle.point')).toHaveCount(6);
});

test('changing a control updates the URL, and reloading that URL restores it; the preset in force is shown', async ({ page }) => {
  await openApp(page);
  await expect(page.getByLabel('Preset')).toHaveValue('0');
  await page.getByLabel('Workload').selectOption('mlp');
  await page.getByLabel('GPUs', { exact: true }).fill('8');
  await page.getByLabel('GPUs', { exact: true }).press('Tab');
  await page.getByLabel('Link inside a node').selectOption('pcie5');
  await expect(page).toHaveURL(/workload=mlp/);
  const url = new URL(page.url());
  expect(Object.fromEntries(url.searchParams)).toEqual({ workload: 'mlp', shards: '8', link: 'pcie5' });
  await expect(page.getByLabel('Preset')).toHaveValue('custom');
  await page.reload();
  await expect(page.getByLabel('Workload')).toHaveValue('mlp');
  await expect(page.getByLabel('GPUs', { exact: true })).toHaveValue('8');
  await expect(page.getByLabel('Link inside a node')).toHaveValue('pcie5');
  await expect(page.getByLabel('M', { exact: true })).toBeHidden(); // GEMM-only controls hide for the MLP
  await page.getByLabel('Preset').selectOption({ label: 'Quick local check (small)' });
  await expect(page).toHaveURL(/m=128/);
  await expect(page.getByLabel('Preset')).toHaveValue(/^\d+$/);
  // Options read as words; the URL keeps the tokens.
  await expect(page.getByLabel('Link inside a node').locator('option[value="pcie5"]')).toHaveText(/PCIe 5\.0/);
});

test('a shared-result link shows the shared result, then overlays a run made here', async ({ page }) => {
  await openApp(page);
  const first = await runQuery(page, 'mode=compare&m=48&n=48&k=48&iters=3&warmup=0');
  expectVerified(first.result!);
  const link = await page.evaluate(() => waferBench.shareLink(waferBench.result));
  expect(link).toContain('#r=');
  const shared = await page.context().newPage();
  const errors = await openApp(shared, new URL(link).search.slice(1) + new URL(link).hash);
  const box = shared.getByRole('region', { name: 'Shared result', exact: true });
  await expect(box).toContainText('Shared result');
  await expect(box).toContainText(first.result!.env.adapter.architecture || 'unknown');
  const throughput = shared.locator('figure.chart[data-chart="throughput"]');
  await expect(throughput.locator('circle.point')).toHaveCount(6);
  await box.getByRole('button', { name: /Run this configuration here/ }).click();
  await expect(shared.locator('body')).toHaveAttribute('data-bench-state', 'done', { timeout: 120_000 });
  // The throughput chart now holds both: 2 modes × 3 iterations, shared and new.
  await expect(throughput.locator('circle.point')).toHaveCount(12);
  await expect(throughput.locator('.legend')).toContainText('shared Wafer');
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
  const headings = [
    'The answer: a projection onto the target hardware',
    'The cards',
    'LLM decode and prefill',
    'The charts',
    'The results table',
  ];
  for (const name of [...headings, 'The presets']) await expect(page.getByRole('heading', { name })).toBeVisible();
  await expect(page.locator('wafer-bench iframe')).toHaveCount(3);
  // A demo is never an empty box: it shows the projection before anyone presses Run.
  await expect(page.frameLocator('wafer-bench iframe').first().locator('.answer .verdict')).toContainText('Cluster step ÷ wafer step');
  await expect(page.frameLocator('wafer-bench iframe').nth(1).locator('.answer .verdict')).toContainText('tokens/s per user', {
    timeout: 60_000,
  });
  await page.goto(`${kAppUrl}/embed-example.html`);
  await expect(page.locator('#element-status')).toContainText('done', { timeout: 120_000 });
  await shot(page, 'embed-example');
  expect(errors).toEqual([]);
});
