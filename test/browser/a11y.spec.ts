// The page for every reader: axe finds no serious or critical violation on the page before and after a run, the
// docs, the embed example and an embedded frame; everything fits 320 CSS px; Run and Stop keep focus where a person
// expects; a bad value stays in its field, marked and explained; and a comparison can be run, read and shared with
// the keyboard alone.

import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { kAppUrl } from '../../playwright.config.ts';
import { openApp } from './helpers.ts';

async function expectNoSeriousViolations(page: Page, where: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    bad.map(
      (v) =>
        `${v.id} (${v.impact}): ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(' | ')}`,
    ),
    where,
  ).toEqual([]);
}

async function expectNoSideways(page: Page, where: string): Promise<void> {
  const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: window.innerWidth }));
  expect(widths.doc, `${where}: the page is wider than the window`).toBeLessThanOrEqual(widths.view);
}

test('axe: the page before and after a run has no serious or critical violation', async ({ page }) => {
  await openApp(page, 'm=48&n=48&k=48&iters=2&warmup=0');
  await page.waitForFunction(() => waferBench.projection !== null);
  await expectNoSeriousViolations(page, 'before a run');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.locator('body')).toHaveAttribute('data-bench-state', 'done', { timeout: 120_000 });
  await page
    .locator('details.data')
    .first()
    .evaluate((d) => ((d as HTMLDetailsElement).open = true));
  await expectNoSeriousViolations(page, 'after a run');
});

test('axe: the docs, the embed example and an embedded frame', async ({ page }) => {
  await page.goto(`${kAppUrl}/docs.html`);
  await expectNoSeriousViolations(page, 'docs.html');
  await page.goto(`${kAppUrl}/embed-example.html`);
  await expectNoSeriousViolations(page, 'embed-example.html');
  await page.goto(`${kAppUrl}/?embed=1&autorun=0&workload=allreduce&shards=4&maxBytes=1048576`);
  await page.waitForFunction(() => waferBench.projection !== null);
  await expectNoSeriousViolations(page, '?embed=1');
});

test('320 CSS px: no sideways scrolling before or after a run, tables scroll in their own box', async ({ page }) => {
  await page.setViewportSize({ width: 320, height: 800 });
  await openApp(page, 'm=40&n=40&k=40&iters=2&warmup=0');
  await page.waitForFunction(() => waferBench.projection !== null);
  await expectNoSideways(page, 'before a run');
  await page.screenshot({ path: test.info().outputPath('projection-320.png'), fullPage: true });
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.locator('body')).toHaveAttribute('data-bench-state', 'done', { timeout: 120_000 });
  await expectNoSideways(page, 'after a run');
  const table = page.locator('table.runs').locator('..');
  expect(await table.evaluate((el) => getComputedStyle(el).overflowX)).toBe('auto');
  // Chart text renders at 11 px or more: the SVG is drawn at its own size, not scaled down.
  const sizes = await page
    .locator('figure.chart text')
    .evaluateAll((ts) =>
      ts
        .slice(0, 40)
        .map(
          (t) =>
            parseFloat(getComputedStyle(t).fontSize) *
            ((t.closest('svg') as SVGSVGElement).getBoundingClientRect().width /
              Number((t.closest('svg') as SVGSVGElement).getAttribute('width'))),
        ),
    );
  expect(Math.min(...sizes)).toBeGreaterThanOrEqual(11);
  await page.screenshot({ path: test.info().outputPath('done-320.png'), fullPage: true });
  for (const path of ['/docs.html', '/embed-example.html']) {
    await page.goto(`${kAppUrl}${path}`);
    await expectNoSideways(page, path);
  }
});

test('the keyboard: the skip link reaches Run; Run and Stop keep focus; the finished summary is announced', async ({ page }) => {
  await openApp(page, 'm=40&n=40&k=40&iters=3&warmup=1');
  await page.keyboard.press('Tab');
  await expect(page.locator('.skip-link')).toBeFocused();
  await page.keyboard.press('Enter');
  const run = page.getByRole('button', { name: 'Run', exact: true });
  await expect(run).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Stop' })).toBeFocused();
  await expect(page.locator('body')).toHaveAttribute('data-bench-state', 'done', { timeout: 120_000 });
  await expect(run).toBeFocused();
  await expect(page.locator('.local .summary')).toHaveAttribute('aria-live', 'polite');
  await expect(page.locator('.local .summary')).toContainText('verified');
  // Stop with the keyboard: focus comes back to Run, never to <body>.
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Stop' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('body')).toHaveAttribute('data-bench-state', 'stopped');
  await expect(run).toBeFocused();
});

test('a bad value stays in its field, marked and explained; Run waits; the URL keeps the last good value', async ({ page }) => {
  await openApp(page, 'm=512');
  const m = page.getByLabel('M', { exact: true });
  await m.fill('abc');
  await m.press('Tab');
  await expect(m).toHaveValue('abc');
  await expect(m).toHaveAttribute('aria-invalid', 'true');
  const described = (await m.getAttribute('aria-describedby'))!.split(' ');
  await expect(page.locator(`#${described[0]}`)).toContainText('must be an integer');
  await expect(page.locator(`#${described[0]}`)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeDisabled();
  await expect(page.locator('#run-blocked')).toContainText('marked fields');
  expect(new URL(page.url()).searchParams.get('m')).toBe('512');
  await m.fill('256');
  await m.press('Tab');
  await expect(m).not.toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeEnabled();
  await expect(page).toHaveURL(/m=256/);
});

test('run a comparison, read its answer and share it with the keyboard alone', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await openApp(page, 'm=32&n=32&k=32&iters=2&warmup=0');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  await expect(page.locator('body')).toHaveAttribute('data-bench-state', 'done', { timeout: 120_000 });
  await expect(page.locator('.answer .verdict')).toContainText('Cluster step ÷ wafer step');
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if ((await page.evaluate(() => document.activeElement?.textContent)) === 'Copy link with result') break;
  }
  await page.keyboard.press('Enter');
  await expect(page.locator('section.results')).toHaveAttribute('data-link', /#r=/);
});
