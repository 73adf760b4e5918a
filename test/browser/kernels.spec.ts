// Every matmul variant and the element-wise kernels on real WebGPU, against float64 CPU references.

import { expect, test, type Page } from '@playwright/test';
import { kMatmulVariants } from '../../src/gpu/variants.ts';
import { kDevUrl } from '../../playwright.config.ts';

type Harness = typeof import('./harness.ts') extends never
  ? never
  : {
      init(): Promise<{ features: string[]; subgroups: boolean }>;
      matmul(c: { key: string; m: number; n: number; k: number; accumulate?: boolean; off?: number }): Promise<{
        ran: boolean;
        wrong: number;
        checked: number;
        maxErr: number;
        sentinelsTouched: number;
        error: string | null;
        first: string | null;
      }>;
      elementwise(count: number): Promise<{ addWrong: number; geluMaxErr: number; copyWrong: number }>;
    };

const kShapes: [number, number, number][] = [
  [1, 1, 1],
  [7, 33, 65],
  [130, 17, 256],
  [256, 256, 256],
  [65, 64, 36],
];

let page: Page;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  await page.goto(`${kDevUrl}/test/browser/harness.html`);
  await page.waitForSelector('body[data-ready="1"]', { state: 'attached' });
  // A GPU test fails, never skips, when there is no adapter.
  const info = await page.evaluate(() => (globalThis as unknown as { harness: Harness }).harness.init());
  expect(info.features).toContain('timestamp-query');
});

test.afterAll(async () => page.close());

for (const v of kMatmulVariants) {
  for (const [m, n, k] of kShapes) {
    test(`matmul ${v.key} ${m}x${n}x${k}`, async () => {
      const r = await page.evaluate((c) => (globalThis as unknown as { harness: Harness }).harness.matmul(c), { key: v.key, m, n, k });
      expect(r.error).toBeNull();
      if (v.aligned && (n % 4 || k % 4)) {
        expect(r.ran).toBe(false); // refused, and the wrapper falls back to another variant
        return;
      }
      expect(r.ran).toBe(true);
      expect(r.first).toBeNull();
      expect(r.wrong).toBe(0);
      expect(r.checked).toBe(m * n);
      expect(r.sentinelsTouched).toBe(0);
    });
  }
  test(`matmul ${v.key} accumulates at an offset (C += A·B, 68x20x44 at +4)`, async () => {
    const r = await page.evaluate((c) => (globalThis as unknown as { harness: Harness }).harness.matmul(c), {
      key: v.key,
      m: 68,
      n: 20,
      k: 44,
      accumulate: true,
      off: 4,
    });
    expect(r.error).toBeNull();
    expect(r.ran).toBe(true);
    expect(r.wrong).toBe(0);
    expect(r.sentinelsTouched).toBe(0);
  });
}

test('accumulate is exact on integer-valued inputs; GeLU matches the tanh form; copy2d moves a strided block', async () => {
  for (const count of [1, 1000, 1 << 20]) {
    const r = await page.evaluate((n) => (globalThis as unknown as { harness: Harness }).harness.elementwise(n), count);
    expect(r.addWrong).toBe(0);
    expect(r.geluMaxErr).toBeLessThan(1e-5);
    expect(r.copyWrong).toBe(0);
  }
});
