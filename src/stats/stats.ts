// Summary statistics for timing samples: a pure, DOM-free module that the UI, the CLI and the JSON all read.

export interface Summary {
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
  samples: number;
}

/** Linear-interpolated quantile of sorted values (q in [0, 1]). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function summarize(values: readonly number[]): Summary {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  return {
    median: quantile(s, 0.5),
    p10: quantile(s, 0.1),
    p90: quantile(s, 0.9),
    min: s[0] ?? NaN,
    max: s[s.length - 1] ?? NaN,
    samples: s.length,
  };
}

export const median = (values: readonly number[]): number => summarize(values).median;

export function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

/** GFLOP/s for a count of flops in a time in ms. */
export const gflopsOf = (flops: number, ms: number): number => flops / (ms * 1e6);
