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
