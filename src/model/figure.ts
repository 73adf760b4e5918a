// A hardware figure is a number with its meaning and its source, and a band where it is uncertain. The model
// reads figures only through `at`, so every projection can be made at the band's fast end, its middle, and its
// slow end.

export interface Figure {
  value: number;
  /** The band: [low, high] of the value itself (equal to value where the figure is exact). */
  low: number;
  high: number;
  unit: string;
  /** What exactly it is: per direction or both, dense or sparse, line rate or achieved, per what. */
  means: string;
  source: string;
  /** Only press or third parties state it. */
  secondary?: boolean;
}

export function fig(value: number, unit: string, means: string, source: string, band?: [number, number], secondary?: boolean): Figure {
  const [low, high] = band ?? [value, value];
  if (!(low <= value && value <= high)) throw new Error(`figure ${value} ${unit} lies outside its band [${low}, ${high}]`);
  return Object.freeze({ value, low, high, unit, means, source, ...(secondary ? { secondary } : {}) });
}

/** The three projections every result carries: the band's fast end, the middle, and the slow end. */
export const kScenarios = Object.freeze(['mid', 'fast', 'slow'] as const);
export type Scenario = (typeof kScenarios)[number];

/**
 * The figure as a scenario sees it. `faster` says which end of the band makes the system faster: `high` for
 * rates (bandwidth, FLOP/s, efficiency), `low` for costs (latency, launch overhead, cycles per hop).
 */
export function at(f: Figure, s: Scenario, faster: 'high' | 'low'): number {
  if (s === 'mid') return f.value;
  const fastEnd = faster === 'high' ? f.high : f.low;
  const slowEnd = faster === 'high' ? f.low : f.high;
  return s === 'fast' ? fastEnd : slowEnd;
}
