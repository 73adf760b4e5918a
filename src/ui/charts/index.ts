// The charts, one record each (see ./chart.ts), in the order the page shows them. A new chart is a file and a
// line here.

import { bandwidth } from './bandwidth.ts';
import type { ChartSpec } from './chart.ts';
import { decodeBatch } from './decode-batch.ts';
import { scaling } from './scaling.ts';
import { sizeSweep } from './size-sweep.ts';
import { stepSplit } from './step-split.ts';
import { throughput } from './throughput.ts';
import { tokenSplit } from './token-split.ts';
import { clusterTimeline, waferTimeline } from './timeline.ts';

export const kCharts: readonly ChartSpec[] = Object.freeze([
  stepSplit,
  tokenSplit,
  decodeBatch,
  bandwidth,
  sizeSweep,
  scaling,
  waferTimeline,
  clusterTimeline,
  throughput,
]);
