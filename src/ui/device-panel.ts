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
  return h('div', {}, h('h2', { text: 'Device' }), dl);
}
