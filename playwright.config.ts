// Playwright: browser tests in the system Chromium, headless, with WebGPU on (SwiftShader here) — except the
// no-WebGPU project, which starts Chromium without the flag on purpose.
import { defineConfig } from '@playwright/test';
import { chromiumPath, kQuietArgs, kWebGpuArgs } from './src/cli/chromium.ts';

// PW_PORT_BASE moves all three servers (two checkouts can then test side by side without sharing a server).
const kBase = Number(process.env.PW_PORT_BASE ?? 0);
const kDevPort = kBase || 5183;
const kAppPort = kBase ? kBase + 1 : 4174;
const kPlainPort = kBase ? kBase + 2 : 4175;
export const kDevUrl = `http://127.0.0.1:${kDevPort}`;
export const kAppUrl = `http://127.0.0.1:${kAppPort}`;
/** The built app again on a second origin, without COOP/COEP (a docs site, or a plain static host). */
export const kPlainUrl = `http://127.0.0.1:${kPlainPort}`;

export default defineConfig({
  testDir: 'test/browser',
  timeout: 240_000,
  expect: { timeout: 20_000 },
  workers: 1,
  forbidOnly: true,
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results',
  // The embed tests stand a second loopback origin in for a public docs site; Chromium's local-network-access
  // checks would treat that page as public and block it from reaching loopback, which real deployments never meet.
  use: {
    launchOptions: { executablePath: chromiumPath(), args: [...kQuietArgs, ...kWebGpuArgs, '--disable-features=LocalNetworkAccessChecks'] },
  },
  projects: [
    { name: 'webgpu', testIgnore: /no-webgpu/ },
    { name: 'no-webgpu', testMatch: /no-webgpu/, use: { launchOptions: { executablePath: chromiumPath(), args: kQuietArgs } } },
  ],
  webServer: [
    {
      command: `npx vite --port ${kDevPort} --strictPort --logLevel warn`,
      url: `${kDevUrl}/test/browser/harness.html`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
    {
      command: 'node dist-node/start.js',
      env: { PORT: String(kAppPort) },
      url: `${kAppUrl}/`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
    {
      command: 'node dist-node/start.js',
      env: { PORT: String(kPlainPort), ISOLATE: '0' },
      url: `${kPlainUrl}/`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
  ],
});
