// RMSNorm, SwiGLU and causal grouped-query attention on real WebGPU, against float64 references within their derived
// bounds, at offsets into larger buffers with sentinels around every output region, in place and packed.

import { expect, test, type Page } from '@playwright/test';
import { kDevUrl } from '../../playwright.config.ts';
import type { AttentionCase, KernelResult, LlmHarness, RmsnormCase, SwigluCase } from './llm-harness.ts';

let page: Page;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  await page.goto(`${kDevUrl}/test/browser/llm-harness.html`);
  await page.waitForSelector('body[data-ready="1"]', { state: 'attached' });
  // The harness runs on a GPUDevice or throws: a CPU fallback cannot pass these tests.
  const info = await page.evaluate(() => (globalThis as unknown as { llmHarness: LlmHarness }).llmHarness.init());
  expect(info.features.length).toBeGreaterThan(0);
});

test.afterAll(async () => page.close());

/** Logs what a case measured (error against the reference, one timed run on this adapter). */
function report(name: string, r: KernelResult): void {
  const line = `max err ${r.maxErr.toExponential(2)} (${(100 * r.maxRatio).toFixed(2)}% of the bound), ${r.ms.toFixed(2)} ms, ${r.gflops.toFixed(3)} GFLOP/s`;
  test.info().annotations.push({ type: 'measured', description: line });
  console.log(`${name}: ${line}`);
}

function expectGood(r: KernelResult, checked: number): void {
  expect(r.error).toBeNull();
  expect(r.first).toBeNull();
  expect(r.wrong).toBe(0);
  expect(r.checked).toBe(checked);
  expect(r.maxRatio).toBeLessThan(1);
  expect(r.untouched).toBe(0);
}

const kRmsnormCases: RmsnormCase[] = [
  { rows: 1, dim: 1, off: 0, mode: 'separate' },
  { rows: 7, dim: 33, off: 5, mode: 'separate' },
  { rows: 7, dim: 33, off: 5, mode: 'in-place' },
  { rows: 3, dim: 4096, off: 3, mode: 'separate' },
  { rows: 300, dim: 257, off: 1, mode: 'in-place' },
  { rows: 4, dim: 129, off: 7, mode: 'w-in-y' },
];
for (const c of kRmsnormCases) {
  test(`rmsnorm ${c.rows}×${c.dim} at +${c.off}, ${c.mode}`, async () => {
    const r = await page.evaluate((x) => (globalThis as unknown as { llmHarness: LlmHarness }).llmHarness.rmsnorm(x), c);
    report(`rmsnorm ${c.rows}×${c.dim} ${c.mode}`, r);
    expectGood(r, c.rows * c.dim);
    expect(r.key).toContain(c.mode === 'in-place' ? 'X_IN_Y=1' : 'X_IN_Y=0');
    expect(r.key).toContain(c.mode === 'w-in-y' ? 'W_IN_Y=1' : 'W_IN_Y=0');
  });
}

const kSwigluCases: SwigluCase[] = [
  { count: 1, off: 0, mode: 'separate' },
  { count: 1000, off: 3, mode: 'separate' },
  { count: 1000, off: 3, mode: 'in-place' },
  { count: 777, off: 5, mode: 'packed' },
  { count: 1 << 20, off: 1, mode: 'in-place' },
];
for (const c of kSwigluCases) {
  test(`swiglu ${c.count} at +${c.off}, ${c.mode}`, async () => {
    const r = await page.evaluate((x) => (globalThis as unknown as { llmHarness: LlmHarness }).llmHarness.swiglu(x), c);
    report(`swiglu ${c.count} ${c.mode}`, r);
    expectGood(r, c.count);
  });
}

const mha = { heads: 8, kvHeads: 8 };
const gqa4 = { heads: 8, kvHeads: 2 };
const gqa8 = { heads: 8, kvHeads: 1 };
const kAttentionCases: [string, AttentionCase][] = [
  // Decode: one new token per sequence, past tokens already in the cache, rows past it unused.
  ['decode MHA (1:1), 2 sequences, headDim 64', { batch: 2, queries: 1, ...mha, headDim: 64, past: 37, ctx: 48, off: 3, mode: 'separate' }],
  [
    'decode GQA 4:1, headDim 128, 130 keys (3 blocks)',
    { batch: 1, queries: 1, ...gqa4, headDim: 128, past: 129, ctx: 131, off: 1, mode: 'separate' },
  ],
  ['decode GQA 8:1, 3 sequences, headDim 33', { batch: 3, queries: 1, ...gqa8, headDim: 33, past: 70, ctx: 80, off: 5, mode: 'separate' }],
  ['decode GQA 8:1, empty cache, headDim 1', { batch: 2, queries: 1, ...gqa8, headDim: 1, past: 0, ctx: 4, off: 2, mode: 'separate' }],
  ['decode GQA 4:1, headDim 256, out = q', { batch: 2, queries: 1, ...gqa4, headDim: 256, past: 64, ctx: 65, off: 7, mode: 'in-place' }],
  [
    'decode GQA 4:1, 4096-row cache, headDim 128',
    { batch: 1, queries: 1, ...gqa4, headDim: 128, past: 4095, ctx: 4096, off: 1, mode: 'separate' },
  ],
  // Prefill: an empty cache and a prompt; then a chunk of a prompt after a cached prefix.
  ['prefill MHA (1:1), 17 tokens, headDim 16', { batch: 1, queries: 17, ...mha, headDim: 16, past: 0, ctx: 17, off: 0, mode: 'separate' }],
  [
    'prefill GQA 4:1, 2 sequences of 70 tokens, headDim 64',
    { batch: 2, queries: 70, ...gqa4, headDim: 64, past: 0, ctx: 72, off: 3, mode: 'separate' },
  ],
  [
    'prefill GQA 8:1, 33 tokens, headDim 33, K and V in one buffer',
    { batch: 1, queries: 33, ...gqa8, headDim: 33, past: 0, ctx: 40, off: 5, mode: 'kv-packed' },
  ],
  [
    'prefill chunk of 5 after 37, GQA 4:1, 3 sequences, out = q',
    { batch: 3, queries: 5, ...gqa4, headDim: 32, past: 37, ctx: 50, off: 1, mode: 'in-place' },
  ],
];
for (const [name, c] of kAttentionCases) {
  test(`attention ${name}`, async () => {
    const r = await page.evaluate((x) => (globalThis as unknown as { llmHarness: LlmHarness }).llmHarness.attention(x), c);
    report(`attention ${name}`, r);
    expectGood(r, c.batch * c.queries * c.heads * c.headDim);
    expect(r.key).toContain(`HEAD_DIM=${c.headDim}`);
    expect(r.key).toContain(c.mode === 'in-place' ? 'Q_IN_OUT=1' : 'Q_IN_OUT=0');
  });
}
