// Shared helpers for browser tests: open the built app, collect console errors, run a query through the hooks.

import { expect, type Page } from '@playwright/test';
import { kAppUrl } from '../../playwright.config.ts';
import type { Result } from '../../src/engine/result.ts';

export async function openApp(page: Page, query = '', errors: string[] = []): Promise<string[]> {
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${kAppUrl}/${query ? `?${query}` : ''}`);
  await page.waitForFunction(() => typeof globalThis.waferBench === 'object');
  return errors;
}

/** Runs a query through globalThis.waferBench and returns the result, or the error message. */
export async function runQuery(page: Page, query: string): Promise<{ result: Result | null; error: string | null; state: string }> {
  return page.evaluate(async (q) => {
    try {
      const result = await globalThis.waferBench.run(q);
      return { result, error: null, state: document.body.dataset.benchState ?? '' };
    } catch (e) {
      return { result: null, error: (e as Error).message, state: document.body.dataset.benchState ?? '' };
    }
  }, query);
}

/**
 * Every run verified, on the backend expected: a WebGPU test must fail, never pass on the CPU fallback, when the
 * browser has no adapter.
 */
export function expectVerified(r: Result, backend: 'webgpu' | 'cpu' = 'webgpu'): void {
  expect(r.env.backend, 'backend').toBe(backend);
  expect(r.runs.length).toBeGreaterThan(0);
  for (const run of r.runs) {
    expect(run.error ?? null, `${run.mode}`).toBeNull();
    expect(run.verified, `${run.mode} verified`).toBe(true);
  }
}
