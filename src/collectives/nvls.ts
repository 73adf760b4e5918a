// NVLink SHARP (NVLS): the NVSwitch itself reduces and multicasts, so every GPU sends its vector into the switch
// once and receives the result once. NCCL uses it for large all-reduces on H100/H200 nodes. The workers here
// have no switch that reduces: they run it as the direct algorithm, which computes the same result; the target
// prices it from NCCL's NVLS latency and the bus bandwidth measured with it.

import type { Algorithm } from './algorithm.ts';
import { direct } from './direct.ts';

export const nvls: Algorithm = {
  ...direct,
  name: 'nvls',
  label: 'NVLink SHARP (switch reduction)',
};
