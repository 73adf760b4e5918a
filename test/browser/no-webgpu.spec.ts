// Chromium started without --enable-unsafe-webgpu: the page says why there is no WebGPU and how to enable it, and
// still completes runs on the clearly labeled CPU backend.

import { expect, test } from '@playwright/test';
import { expectVerified, openApp, runQuery } from './helpers.ts';

test('no WebGPU: guidance, then a verified run on the CPU backend', async ({ page }) => {
  const errors = await openApp(page);
  expect(await page.evaluate(async () => Boolean(navigator.gpu && (await navigator.gpu.requestAdapter())))).toBe(false);
  const box = page.locator('.no-webgpu');
  await expect(box).toContainText('No WebGPU');
  await expect(box).toContainText('--enable-unsafe-webgpu');
  await expect(box).toContainText('CPU backend');
  const { result, error, state } = await runQuery(page, 'mode=compare&m=24&n=20&k=36&shards=2&iters=2&warmup=1');
  expect(error).toBeNull();
  expect(state).toBe('done');
  expect(result!.env.backend).toBe('cpu');
  expect(result!.env.adapter.description).toMatch(/CPU backend/);
  expectVerified(result!, 'cpu');
  expect(result!.runs.flatMap((r) => r.kernelKeys)).toContain('cpu/ikj-loop');
  await expect(page.locator('.summary').first()).toContainText('CPU backend');
  const ar = await runQuery(page, 'workload=allreduce&mode=cluster&shards=3&minBytes=1024&maxBytes=4096&iters=2&warmup=0');
  expect(ar.result!.collectives.every((c) => c.wrong === 0)).toBe(true);
  // LLM decode: the scaled instance verified on the CPU backend too, with the full model's figures.
  const llm = await runQuery(page, 'workload=decode&model=llama3-8b&mode=compare&shards=2&context=4&iters=1&warmup=0');
  expect(llm.error).toBeNull();
  expectVerified(llm.result!, 'cpu');
  for (const run of llm.result!.runs) expect(run.llm!.weightsGB).toBeCloseTo(16.06, 1);
  expect(errors.filter((e) => !/WebGPU/i.test(e))).toEqual([]);
});
