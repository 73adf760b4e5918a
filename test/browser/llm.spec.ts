// LLM decode and prefill run here as a scaled-down instance of the model's structure (same layers, GQA and FFN
// ratios), on real WebGPU kernels, verified layer by layer against the float64 forward pass; the records carry the
// full-size projection and its inference figures.

import { expect, test } from '@playwright/test';
import { expectVerified, openApp, runQuery } from './helpers.ts';

test('decode of a scaled Llama 3.1 8B: both sides verified, the figures for the full model', async ({ page }) => {
  await openApp(page);
  const { result, error } = await runQuery(page, 'workload=decode&model=llama3-8b&mode=compare&shards=2&context=8&iters=1&warmup=0');
  expect(error).toBeNull();
  const r = result!;
  expectVerified(r);
  for (const run of r.runs) {
    expect(run.checked).toBeGreaterThan(32 * 64); // every layer's output and the logits
    expect(run.llm!.weightsGB).toBeCloseTo(16.06, 1); // the full model, not the instance
    expect(run.llm!.tokensPerSecondPerUser).toBeCloseTo(1e6 / run.target!.stepUs, 6);
    expect(run.emulation).toContain('scaled-down instance');
  }
  expect(r.notes.join(' ')).toContain('scaled-down instance');
});

test('prefill of a scaled Llama 3.1 70B (GQA 8:1) over 4 shards: verified; time to first token is the step', async ({ page }) => {
  await openApp(page);
  const { result, error } = await runQuery(page, 'workload=prefill&model=llama3-70b&mode=cluster&shards=4&prompt=4&iters=1&warmup=0');
  expect(error).toBeNull();
  expectVerified(result!);
  const run = result!.runs[0]!;
  expect(run.llm!.ttftMs).toBeCloseTo(run.target!.stepUs / 1e3, 6);
});

test('a corrupted kernel in the scaled model is caught', async ({ page }) => {
  await openApp(page);
  const out = await page.evaluate(async () => {
    const r = await waferBench.run('workload=decode&mode=cluster&shards=2&context=4&iters=1&warmup=0', { corrupt: true });
    return r.runs.map((x) => ({ verified: x.verified, error: x.error ?? '' }));
  });
  expect(out[0]!.verified).toBe(false);
  expect(out[0]!.error).toMatch(/verification failed/);
});

test('the page answers the LLM question first: tokens/s per user on both sides, the batch curve beside vendor-reported points', async ({
  page,
}) => {
  const errors = await openApp(page, 'workload=decode&model=llama3-70b&shards=8');
  const answer = page.locator('.answer');
  await expect(answer.locator('.verdict')).toContainText('tokens/s per user on the wafer', { timeout: 30_000 });
  await expect(answer.locator('.card')).toHaveCount(2);
  for (const card of await answer.locator('.card').all()) {
    await expect(card).toContainText('Tokens/s per user');
    await expect(card).toContainText('Time to first token');
    await expect(card).toContainText('141 GB of weights');
  }
  // The per-token split, then the curve (it arrives after the answer), with the 70B reference points.
  await expect(page.locator('figure.chart[data-chart="token-split"] rect.seg')).toHaveCount(10);
  const curve = page.locator('figure.chart[data-chart="decode-batch"]');
  await expect(curve.locator('circle.point')).toHaveCount(10, { timeout: 60_000 });
  expect(await curve.locator('path.reported').count()).toBeGreaterThanOrEqual(4);
  await expect(curve.locator('details.data')).toContainText('vendor-reported: 4 × Cerebras CS-3');
  // The model's controls show; the GEMM's do not; a custom model asks for its shape.
  await expect(page.getByLabel('Model', { exact: true })).toBeVisible();
  await expect(page.getByLabel('Batch', { exact: true })).toBeVisible();
  await expect(page.getByLabel('M', { exact: true })).toBeHidden();
  await expect(page.getByLabel('Heads', { exact: true })).toBeHidden();
  await page.getByLabel('Model', { exact: true }).selectOption('custom');
  await expect(page.getByLabel('Heads', { exact: true })).toBeVisible();
  expect(errors).toEqual([]);
});
