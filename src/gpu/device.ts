// One capability check for adapter and device, and one first-error path for device loss and uncaptured errors.

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
  isFallbackAdapter: boolean;
}

export interface Capabilities {
  adapter: AdapterSummary;
  features: string[];
  limits: Record<string, number>;
  timestampQuery: boolean;
  subgroups: boolean;
  shaderF16: boolean;
}

export interface AcquiredDevice {
  device: GPUDevice;
  caps: Capabilities;
  /** Resolves with the first fatal error (device lost, uncaptured validation/OOM error); never rejects. */
  firstError: Promise<string>;
}

const kOptionalFeatures: GPUFeatureName[] = ['timestamp-query', 'subgroups', 'shader-f16'];

/** The limits we raise to the adapter's maximum when the work needs big buffers. */
const kRaisedLimits = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
] as const;

const kReportedLimits = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'minStorageBufferOffsetAlignment',
] as const;

/** Why there is no WebGPU here, in words a reader can act on; null when there is. */
export function whyNoWebGPU(gpu: GPU | undefined, isWorker: boolean): string | null {
  if (!gpu) {
    return isWorker
      ? 'this browser exposes WebGPU to pages but not to workers'
      : 'this browser has no navigator.gpu (WebGPU is off or unsupported). Use a current Chrome or Edge; on Linux start it with --enable-unsafe-webgpu, or enable it in chrome://flags';
  }
  return null;
}

export function summarizeAdapter(adapter: GPUAdapter): Omit<Capabilities, 'timestampQuery' | 'subgroups' | 'shaderF16'> {
  const info = adapter.info;
  const limits: Record<string, number> = {};
  for (const name of kReportedLimits) limits[name] = Number(adapter.limits[name]);
  return {
    adapter: {
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      description: info?.description ?? '',
      isFallbackAdapter: Boolean((info as unknown as { isFallbackAdapter?: boolean })?.isFallbackAdapter),
    },
    features: [...adapter.features].map(String).sort(),
    limits,
  };
}

/** Requests an adapter and a device with every optional feature the adapter has and the raised limits. */
export async function acquireDevice(gpu: GPU | undefined, isWorker: boolean): Promise<AcquiredDevice> {
  const why = whyNoWebGPU(gpu, isWorker);
  if (why || !gpu) throw new Error(`No WebGPU: ${why}`);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter)
    throw new Error('No WebGPU adapter: navigator.gpu.requestAdapter() returned null (WebGPU is disabled or blocklisted for this GPU)');
  const requiredFeatures = kOptionalFeatures.filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  for (const name of kRaisedLimits) requiredLimits[name] = Number(adapter.limits[name]);
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  const summary = summarizeAdapter(adapter);
  for (const name of kReportedLimits) summary.limits[name] = Number(device.limits[name]);
  let report: (msg: string) => void = () => {};
  const firstError = new Promise<string>((resolve) => {
    let done = false;
    report = (msg) => {
      if (!done) {
        done = true;
        resolve(msg);
      }
    };
  });
  device.lost.then((info) => report(`GPU device lost (${info.reason}): ${info.message || 'no message'}`));
  device.addEventListener('uncapturederror', (ev) => {
    const err = (ev as GPUUncapturedErrorEvent).error;
    const kind = err instanceof GPUOutOfMemoryError ? 'out of GPU memory' : 'GPU error';
    report(`${kind}: ${err.message}`);
  });
  return {
    device,
    caps: {
      ...summary,
      features: [...device.features].map(String).sort(),
      timestampQuery: device.features.has('timestamp-query'),
      subgroups: device.features.has('subgroups'),
      shaderF16: device.features.has('shader-f16'),
    },
    firstError,
  };
}

/** Bytes a single storage binding or buffer may hold on this device: the smaller of the two limits. */
export function maxBindingBytes(limits: Record<string, number>): number {
  return Math.min(limits.maxStorageBufferBindingSize ?? 134217728, limits.maxBufferSize ?? 268435456);
}
