// Refusals before anything runs: layouts and sizes past the adapter's limits, and a transport the page cannot use.

import type { Config } from '../config/params.ts';
import { maxBindingBytes } from '../gpu/device.ts';
import type { TransportKind } from './transport.ts';
import { ConfigError } from '../config/errors.ts';
import type { Layout, Plan, Style } from '../workloads/index.ts';
import { planSide } from '../model/predict.ts';

export { ConfigError } from '../config/errors.ts';

const kTotalBytesLimit = 3 * 2 ** 30;
const kHostFloatsLimit = 2 ** 28;

export function pickTransport(c: Config): TransportKind {
  const isolated = globalThis.crossOriginIsolated === true;
  if (c.transport === 'sab' && !isolated)
    throw new ConfigError(
      'transport=sab needs a cross-origin isolated page (served with COOP/COEP headers); this page is not isolated. Use transport=message or auto',
    );
  if (c.transport === 'auto') return isolated ? 'sab' : 'message';
  return c.transport;
}

/** Refuses, before anything is allocated, a plan whose buffers do not fit the adapter's limits. */
export function checkLimits(plan: Plan, limits: Record<string, number>, style: Style): void {
  const maxBinding = maxBindingBytes(limits);
  let total = 0;
  plan.program.buffers.forEach((bufs, u) => {
    for (const [name, floats] of Object.entries(bufs)) {
      const bytes = floats * 4;
      total += bytes;
      if (bytes > maxBinding) {
        throw new ConfigError(
          `${style} ${style === 'wafer' ? 'tile' : 'shard'} ${u} needs a ${name} buffer of ${bytes} bytes, over this adapter's limit maxStorageBufferBindingSize/maxBufferSize = ${maxBinding} bytes. Use smaller sizes or more units`,
        );
      }
    }
  });
  if (total > kTotalBytesLimit)
    throw new ConfigError(
      `${style} needs ${(total / 2 ** 30).toFixed(2)} GiB of GPU buffers, over the ${kTotalBytesLimit / 2 ** 30} GiB this page allows. Use smaller sizes`,
    );
  const host = Object.values(plan.matrices).reduce((s, [r, c]) => s + r * c, 0);
  if (host > kHostFloatsLimit)
    throw new ConfigError(
      `the inputs need ${((host * 4) / 2 ** 30).toFixed(2)} GiB of host memory, over the ${(kHostFloatsLimit * 4) / 2 ** 30} GiB allowed. Use smaller sizes`,
    );
}

/**
 * Checks every plan of the run against the adapter's limits (read on this thread) before any worker starts or any
 * buffer is allocated.
 */
export async function preflight(c: Config, layouts: Layout[]): Promise<void> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
  const adapter = gpu ? await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null) : null;
  const limits: Record<string, number> = adapter
    ? {
        maxStorageBufferBindingSize: Number(adapter.limits.maxStorageBufferBindingSize),
        maxBufferSize: Number(adapter.limits.maxBufferSize),
      }
    : { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 };
  for (const layout of layouts) checkLimits(planSide(c, layout), limits, layout.style);
}
