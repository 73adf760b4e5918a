// The device panel: adapter, features, key limits, isolation and what it allows (transport, timer resolution).

import { summarizeAdapter, whyNoWebGPU } from '../gpu/device.ts';
import { h } from './dom.ts';

export interface DeviceInfo {
  ok: boolean;
  why: string;
  adapter?: ReturnType<typeof summarizeAdapter>;
}

export async function probeDevice(): Promise<DeviceInfo> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  const why = whyNoWebGPU(gpu, false);
  if (why || !gpu) return { ok: false, why: `${why}.` };
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter)
      return {
        ok: false,
        why: 'navigator.gpu.requestAdapter() returned no adapter: WebGPU is disabled or blocklisted for this GPU. In Chrome, check chrome://gpu; on Linux start Chrome with --enable-unsafe-webgpu (and --enable-features=Vulkan).',
      };
    return { ok: true, why: '', adapter: summarizeAdapter(adapter) };
  } catch (e) {
    return { ok: false, why: `requesting an adapter failed: ${(e as Error).message}` };
  }
}

const kKeyLimits = ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup'];

export function devicePanel(info: DeviceInfo): HTMLElement {
  const isolated = globalThis.crossOriginIsolated === true;
  const dl = h('dl');
  const row = (k: string, v: string) => dl.append(h('dt', { text: k }), h('dd', { text: v }));
  if (info.adapter) {
    const a = info.adapter.adapter;
    row('Adapter', [a.vendor, a.architecture].filter(Boolean).join(' · ') || 'unnamed');
    if (a.description) row('Description', a.description);
    row('Fallback (software) adapter', a.isFallbackAdapter ? 'yes' : 'no');
    const f = info.adapter.features;
    dl.append(
      h('dt', { text: 'Features' }),
      h(
        'dd',
        {},
        h(
          'details',
          {},
          h('summary', {
            text: `${f.length} features${f.includes('subgroups') ? ', subgroups' : ''}${f.includes('shader-f16') ? ', shader-f16' : ''}`,
          }),
          f.join(', ') || 'none',
        ),
      ),
    );
    for (const k of kKeyLimits) row(k, `${info.adapter.limits[k]?.toLocaleString('en-US')}`);
    row(
      'GPU timers',
      info.adapter.features.includes('timestamp-query')
        ? 'timestamp-query (quantized to 100 µs; short kernels are batched)'
        : 'wall time only (no timestamp-query)',
    );
  } else {
    row('WebGPU', `unavailable: ${info.why}`);
  }
  row('Cross-origin isolated', isolated ? 'yes' : 'no');
  row('Transport', isolated ? 'sab (SharedArrayBuffer mailboxes) or message' : 'message only: SharedArrayBuffer needs COOP/COEP headers');
  row('performance.now()', isolated ? 'about 5 µs resolution' : 'about 100 µs resolution (not isolated)');
  const out = h('div', {}, h('h2', { text: 'Device' }), dl);
  const sw = navigator.serviceWorker;
  const embedded = window.parent !== window;
  if (!isolated && sw && !embedded) {
    const btn = h('button', { type: 'button', text: 'Turn on isolation (service worker, reloads once)' });
    btn.title = 'This host sends no COOP/COEP headers. A small service worker can add them to this site’s own responses.';
    btn.addEventListener('click', () => void enableIsolation(btn));
    out.append(h('p', { class: 'isolation' }, btn));
  } else if (isolated && sw?.controller?.scriptURL.endsWith('/coi-sw.js')) {
    const btn = h('button', { type: 'button', text: 'Turn off' });
    btn.addEventListener(
      'click',
      () =>
        void sw
          .getRegistrations()
          .then((rs) => Promise.all(rs.map((r) => r.unregister())))
          .then(() => location.reload()),
    );
    out.append(h('p', { class: 'isolation' }, 'Isolated by the service worker. ', btn));
  }
  return out;
}

/** Registers the isolation service worker, then reloads once it controls the page. */
async function enableIsolation(btn: HTMLButtonElement): Promise<void> {
  btn.disabled = true;
  try {
    await navigator.serviceWorker.register('./coi-sw.js', { scope: './' });
    await navigator.serviceWorker.ready;
    location.reload();
  } catch (e) {
    btn.disabled = false;
    btn.textContent = `Could not register the service worker: ${(e as Error).message}`;
  }
}
