// "Check it against your measurements" on the real page with real logs: a pasted nccl-tests log drawn on the bus
// bandwidth chart and fitted exactly as `npm run calibrate` fits it, its link applied to the page; hostile files
// refused by line with nothing turned into markup; result JSON (the torch companion's, a projection) overlaid and
// described; published sweeps with their sources; imported points carried by shared links; axe clean.

import AxeBuilder from '@axe-core/playwright';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { kAppUrl } from '../../playwright.config.ts';
import type { SeriesReport } from '../../src/calibrate/index.ts';
import { openApp, runQuery } from './helpers.ts';

const kFixtures = 'test/fixtures/nccl-tests';
const kVp8 = 'h100_8gpu_1node_allreduce_voltagepark_nccl2.24.3.log';
const kMi300x = 'mi300x_8gpu_1node_allreduce_rocm-acceptance-docs.log';
const kTorch = 'test/fixtures/results/torch_gloo_2ranks_cpu_allreduce.json';
const log = (name: string): string => readFileSync(join(kFixtures, name), 'utf8');
const kLabel8 = 'imported: 8 × H100, all_reduce_perf (out-of-place)';

/** What `npm run calibrate -- FILE --json` writes for a log: the CLI itself, built (dist-node/calibrate.js). */
function cli(path: string): SeriesReport {
  const dir = mkdtempSync(join(tmpdir(), 'wafer-bench-import-'));
  try {
    execFileSync('node', ['dist-node/calibrate.js', path, '--json', join(dir, 'fit.json')], { stdio: 'ignore' });
    return JSON.parse(readFileSync(join(dir, 'fit.json'), 'utf8')) as SeriesReport;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const section = (page: Page): Locator => page.getByRole('region', { name: 'Check it against your measurements' });
const bandwidth = (page: Page): Locator => page.locator('figure.chart[data-chart="bandwidth"]');
const points = (page: Page, label: string): Locator => bandwidth(page).locator(`circle.point[data-series=${JSON.stringify(label)}]`);
/** A number as the page prints it ("1,234", "38.41", "4.5e-4"). */
const num = (s: string): number => Number(s.replace(/,/g, '').replace(/%$/, ''));

async function expectAxeClean(page: Page, where: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3)}`),
    where,
  ).toEqual([]);
}

test('a pasted 8×H100 log: drawn, fitted as the CLI fits it, and its link applied to the page', async ({ page }) => {
  const errors = await openApp(page);
  await page.waitForFunction(() => waferBench.projection !== null);
  const box = section(page);
  await expect(box.getByRole('heading', { name: 'Check it against your measurements' })).toBeVisible();
  // With the keyboard: the labelled box, then the button.
  await box.getByLabel('nccl-tests or rccl-tests output').fill(log(kVp8));
  await box.getByRole('button', { name: 'Read the pasted output' }).focus();
  await page.keyboard.press('Enter');
  await expect(box.locator('.import-status')).toContainText('1 series drawn, 1 link fitted');
  // One point per row of the table (31 sizes, 8 B – 8 GiB), on the all-reduce bus bandwidth chart.
  await expect(points(page, kLabel8)).toHaveCount(31);
  await expect(bandwidth(page).locator('.legend')).toContainText(kLabel8);
  await expect(bandwidth(page).locator('path.series.stroke-import-0')).toHaveCount(1);

  const want = cli(join(kFixtures, kVp8));
  const fit = box.getByRole('region', { name: `Fitted link: ${kLabel8}`, exact: true });
  const cells = await fit.locator('tbody td').allTextContents();
  expect(num(cells[0]!)).toBeCloseTo(want.fit.baseUs, 2);
  expect(num(cells[1]!)).toBe(want.fit.alphaUs);
  expect(Math.abs(num(cells[2]!) / want.fit.gbps - 1)).toBeLessThan(1e-3);
  expect(cells[3]).toBe(`${(want.fit.rmsError * 100).toFixed(1)}%`);
  expect(cells[4]).toBe(`${(want.fit.maxError * 100).toFixed(1)}%`);
  expect(cells[5]).toBe(`${(want.fit.maxErrorAbove1MiB! * 100).toFixed(1)}%`);
  expect(cells[6]).toBe('≥ 1 MiB');
  // Measured against the model per size: the CLI's numbers, row for row.
  const rows = box.getByRole('region', { name: `Measured against the model on the fitted link: ${kLabel8}` }).locator('tbody tr');
  await expect(rows).toHaveCount(want.points.length);
  for (const i of [0, 16, 17, 30]) {
    const [size, measured, model, err] = await rows.nth(i).locator('td').allTextContents();
    const p = want.points[i]!;
    expect(size).toContain(p.fitted ? '' : '(not fitted)');
    expect(num(measured!)).toBeCloseTo(p.measuredUs, 1);
    expect(Math.abs(num(model!) / p.modelUs - 1)).toBeLessThan(1e-3);
    expect(err).toBe(`${p.error >= 0 ? '+' : ''}${(p.error * 100).toFixed(1)}%`);
  }
  // The query as text and as a link; "Use this link" applies it and the projection follows.
  await expect(box.locator('.import-query code')).toHaveText(want.query!);
  await expect(box.getByRole('link', { name: 'Open the page on this link' })).toHaveAttribute('href', `?${want.query}`);
  await box.getByRole('button', { name: 'Use this link' }).click();
  const q = new URLSearchParams(want.query!);
  await expect(page).toHaveURL(/link=custom/);
  const url = new URL(page.url()).searchParams;
  for (const k of ['link', 'base', 'gbps', 'shards', 'workload', 'maxBytes']) expect(url.get(k), k).toBe(q.get(k));
  await page.waitForFunction(() => waferBench.projection?.config.link === 'custom' && waferBench.projection.collectives.length > 0);
  // The page's configuration is the fitted query, field for field (defaults such as gpusPerNode=8 are left out of the URL).
  const config = await page.evaluate(() => waferBench.projection!.config);
  for (const [k, v] of q) expect(String(config[k]), k).toBe(v);
  const rowsNow = await page.evaluate(() => waferBench.projection!.collectives.map((c) => ({ bytes: c.bytes, timeUs: c.timeUs })));
  expect(rowsNow).toHaveLength(want.points.length);
  for (const p of want.points) expect(Math.abs(rowsNow.find((r) => r.bytes === p.bytes)!.timeUs / p.modelUs - 1)).toBeLessThan(1e-9);
  await expect(page.getByLabel('Link inside a node')).toHaveValue('custom');
  // The model's line and the imported points on one chart.
  await expect(bandwidth(page).locator('.legend')).toContainText('(target)');
  await expect(points(page, kLabel8)).toHaveCount(31);
  await page.screenshot({ path: test.info().outputPath('import-pasted.png'), fullPage: true });
  await expectAxeClean(page, 'after a pasted log');
  expect(errors).toEqual([]);
});

test('hostile files: a broken row is named by file and line, markup in a device name stays text', async ({ page }) => {
  const errors = await openApp(page);
  await page.waitForFunction(() => waferBench.projection !== null);
  const hostile = '<img src=x onerror="window.__pwned=1">';
  const named = log(kVp8).replace(/NVIDIA H100 80GB HBM3/g, hostile);
  const broken = named.replace('   84.47 ', '   fast  ');
  const line = broken.split('\n').findIndex((l) => l.includes(' fast ')) + 1;
  // Dropped on the box (the drop area), as a person drags a file from the desktop.
  await page.locator('.dropzone').evaluate((zone, text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'hostile <b>run</b>.log', { type: 'text/plain' }));
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, broken);
  const alert = section(page).getByRole('alert');
  await expect(alert).toHaveText(
    `hostile <b>run</b>.log, line ${line}: time (out-of-place, µs): expected a non-negative number, found "fast"`,
  );
  await expect(bandwidth(page)).toHaveCount(0); // a gemm page, nothing imported: no bandwidth chart
  // The same device name with a readable table, chosen through the file input: drawn, its name as text.
  await section(page)
    .getByLabel('Logs or result JSON')
    .setInputFiles({ name: 'named.log', mimeType: 'text/plain', buffer: Buffer.from(named) });
  const label = `imported: 8 × ${hostile}, all_reduce_perf (out-of-place)`;
  await expect(points(page, label)).toHaveCount(31);
  await expect(section(page).locator('.import-what strong')).toHaveText(label);
  await expect(section(page).getByRole('alert')).toHaveCount(0);
  // Other files: not a log by its name, too many at once.
  await section(page)
    .getByLabel('Logs or result JSON')
    .setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47]) });
  await expect(section(page).getByRole('alert')).toHaveText('photo.png: not read; expected a .log, .txt or .out log or a .json result.');
  await page.locator('#import-file').evaluate((input) => {
    const dt = new DataTransfer();
    for (let i = 0; i < 21; i++) dt.items.add(new File(['not a log'], `f${i}.txt`));
    (input as HTMLInputElement).files = dt.files;
    input.dispatchEvent(new Event('change'));
  });
  await expect(section(page).getByRole('alert').first()).toHaveText('21 files: at most 20 are read at once; the first 20 are read.');
  await expect(section(page).getByRole('alert')).toHaveCount(21);
  expect(await page.locator('img').count()).toBe(0);
  expect(await page.locator('b').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(errors).toEqual([]);
});

test('result JSON: the torch companion’s measured rows and a projection overlaid and described; other JSON refused by field', async ({
  page,
}) => {
  const errors = await openApp(page, 'workload=allreduce&shards=8&gpusPerNode=8');
  await page.waitForFunction(() => waferBench.projection !== null);
  const box = section(page);
  const input = box.getByLabel('Logs or result JSON');
  await input.setInputFiles(kTorch);
  const torch = JSON.parse(readFileSync(kTorch, 'utf8')) as { collectives: unknown[] };
  const label = 'imported: torch_gloo_2ranks_cpu_allreduce.json, cluster 2 ranks (torch gloo, measured)';
  await expect(points(page, label)).toHaveCount(torch.collectives.length);
  const entry = box.locator('article.import-entry', { hasText: 'torch_gloo_2ranks_cpu_allreduce.json' });
  await expect(entry).toContainText('measured on a cluster with torch.distributed (gloo)');
  await expect(entry).toContainText('adapter cpu, 2 ranks on 1 host (vm)');
  await expect(entry).toContainText('2 ranks; 6 all-reduce rows');
  // The projection of this page (what npm run predict writes for the same query), as a file.
  const projection = await page.evaluate(() => JSON.stringify(waferBench.projection));
  await input.setInputFiles({ name: 'predict.json', mimeType: 'application/json', buffer: Buffer.from(projection) });
  const modelLabel = 'imported: predict.json, cluster 8 ranks (model)';
  const rows = (JSON.parse(projection) as { collectives: { mode: string }[] }).collectives;
  await expect(points(page, modelLabel)).toHaveCount(rows.filter((c) => c.mode === 'cluster').length);
  await expect(points(page, 'imported: predict.json, wafer 8 tiles (model)')).toHaveCount(rows.filter((c) => c.mode === 'wafer').length);
  await expect(box.locator('article.import-entry', { hasText: 'predict.json' })).toContainText('a projection of the model (nothing ran)');
  // JSON that is not a result: the first bad field, named.
  await input.setInputFiles({ name: 'other.json', mimeType: 'application/json', buffer: Buffer.from('{"schema":2,"tool":"other"}') });
  await expect(box.getByRole('alert')).toHaveText(/^other\.json: not a wafer-bench result: field tool: /);
  await input.setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"schema":') });
  await expect(box.getByRole('alert')).toHaveText(/^broken\.json: not JSON \(/);
  // Remove takes an overlay off the chart again.
  await box.getByRole('button', { name: 'Remove predict.json' }).click();
  await expect(points(page, modelLabel)).toHaveCount(0);
  await expect(points(page, label)).toHaveCount(torch.collectives.length);
  expect(errors).toEqual([]);
});

test('published sweeps: overlaid with system, ranks, library and source; fitted like an import', async ({ page }) => {
  const errors = await openApp(page);
  await page.waitForFunction(() => waferBench.projection !== null);
  const box = section(page);
  const select = box.getByLabel('Compare with a published sweep');
  await expect(select.locator('option')).toHaveText([
    'None',
    '8 × H100, one node, NVLink (Voltage Park, NCCL 2.24.3)',
    '32 × H100, four nodes, InfiniBand (Voltage Park, NCCL 2.24.3)',
    '8 × MI300X, one node (AMD ROCm system acceptance docs, rccl-tests)',
  ]);
  await select.selectOption({ label: '32 × H100, four nodes, InfiniBand (Voltage Park, NCCL 2.24.3)' });
  const label = 'published: 32 × H100, four nodes, InfiniBand (Voltage Park, NCCL 2.24.3)';
  await expect(points(page, label)).toHaveCount(31);
  const entry = box.locator('article.import-entry', { hasText: 'Published: 32 × H100' });
  const source =
    'https://github.com/ZiyanIshani/vpbenchmarking/blob/e55fe749c7c6737006c752df3fd1c4462f88a3ee/results/nccl/nccl_multinode/nccl_allreduce_20260224_225706.txt';
  await expect(entry.getByRole('link', { name: source })).toHaveAttribute('href', source);
  await expect(entry.locator('dl')).toContainText('32 on 4 nodes, NVIDIA H100 80GB HBM3');
  await expect(entry.locator('dl')).toContainText('NCCL 2.24.3, nccl-tests 2.17.9, OpenMPI 4.1.2');
  await expect(entry.getByRole('region', { name: `Fitted link: ${label}`, exact: true })).toBeVisible();
  const want = cli(join(kFixtures, 'h100_32gpu_4node_ib_allreduce_allgather_voltagepark_nccl2.24.3.log')) as unknown as SeriesReport[];
  await expect(entry.locator('.import-query code')).toHaveText(want[0]!.query!);
  await select.selectOption({ label: '8 × MI300X, one node (AMD ROCm system acceptance docs, rccl-tests)' });
  await expect(points(page, 'published: 8 × MI300X, one node (AMD ROCm system acceptance docs, rccl-tests)')).toHaveCount(31);
  await expect(bandwidth(page).locator('path.series.stroke-import-1')).toHaveCount(1);
  // The same sweep again is not drawn twice.
  await select.selectOption({ label: '32 × H100, four nodes, InfiniBand (Voltage Park, NCCL 2.24.3)' });
  await expect(box.locator('.import-status')).toContainText('already on the chart');
  await expect(box.locator('article.import-entry')).toHaveCount(2);
  await page.screenshot({ path: test.info().outputPath('import-published.png'), fullPage: true });
  await expectAxeClean(page, 'published sweeps');
  expect(errors).toEqual([]);
});

test('shared links carry the imported points, and opening one shows them again', async ({ page, browser }) => {
  await openApp(page, 'workload=allreduce&mode=cluster&shards=2&minBytes=1024&maxBytes=4096&iters=1&warmup=0');
  await page.waitForFunction(() => waferBench.projection !== null);
  const box = section(page);
  await box.getByLabel('nccl-tests or rccl-tests output').fill(log(kMi300x));
  await box.getByRole('button', { name: 'Read the pasted output' }).click();
  const label = 'imported: 8 × MI300X, all_reduce_perf (out-of-place)';
  await expect(points(page, label)).toHaveCount(31);
  // The section's own link: the projection and these measurements.
  await box.getByRole('button', { name: 'Copy link with these measurements' }).click();
  await expect(box).toHaveAttribute('data-link', /#r=/);
  const link = (await box.getAttribute('data-link'))!;
  // The results' "Copy link with result" after a run carries them too.
  const run = await runQuery(page, 'workload=allreduce&mode=cluster&shards=2&minBytes=1024&maxBytes=4096&iters=1&warmup=0');
  expect(run.error).toBeNull();
  await page.getByRole('button', { name: 'Copy link with result' }).click();
  await expect(page.locator('section.results')).toHaveAttribute('data-link', /#r=/);
  const withResult = (await page.locator('section.results').getAttribute('data-link'))!;
  for (const url of [link, withResult]) {
    const context = await browser.newContext();
    const other = await context.newPage();
    const errors = await openApp(other, new URL(url).search.slice(1) + new URL(url).hash);
    await expect(points(other, label)).toHaveCount(31);
    await expect(section(other).locator('.import-shared')).toContainText(`${label}: 31 sizes`);
    await expect(other.getByRole('region', { name: 'Shared result', exact: true })).toBeVisible();
    await expectAxeClean(other, 'a shared link with imported points');
    expect(errors).toEqual([]);
    await context.close();
  }
});

test('the embed layout has no import section', async ({ page }) => {
  await page.goto(`${kAppUrl}/?embed=1&autorun=0&workload=allreduce&shards=4`);
  await page.waitForFunction(() => waferBench.projection !== null);
  await expect(page.locator('section.import')).toHaveCount(0);
});

test('320 CSS px: the section with a fitted log and a published sweep needs no sideways scrolling', async ({ page }) => {
  await page.setViewportSize({ width: 320, height: 800 });
  const errors = await openApp(page);
  await page.waitForFunction(() => waferBench.projection !== null);
  const box = section(page);
  await box.getByLabel('nccl-tests or rccl-tests output').fill(log(kVp8));
  await box.getByRole('button', { name: 'Read the pasted output' }).click();
  await box.getByLabel('Compare with a published sweep').selectOption('h100x32-ib');
  await expect(box.locator('article.import-entry')).toHaveCount(2);
  const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: window.innerWidth }));
  expect(widths.doc).toBeLessThanOrEqual(widths.view);
  expect(
    await box
      .locator('.table-scroll')
      .first()
      .evaluate((el) => getComputedStyle(el).overflowX),
  ).toBe('auto');
  await page.screenshot({ path: test.info().outputPath('import-320.png'), fullPage: true });
  expect(errors).toEqual([]);
});
