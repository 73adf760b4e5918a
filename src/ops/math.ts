// Scalar semantics shared by every implementation that is not WGSL: the CPU backend, the test interpreter and the
// float64 references of the verifier.

const kSqrt2OverPi = Math.sqrt(2 / Math.PI);

/** GeLU, tanh form (what shaders/elementwise.wgsl computes). */
export const gelu = (x: number): number => 0.5 * x * (1 + Math.tanh(kSqrt2OverPi * (x + 0.044715 * x * x * x)));

/** Largest slope of gelu over the reals (at x ≈ 1.5): bounds how an input error grows through it. */
export const kGeluMaxSlope = 1.13;

/** Unit roundoff of f32. */
export const kF32Roundoff = 2 ** -24;

/** SiLU (swish): x·σ(x) = x / (1 + e^−x) (what shaders/llm.wgsl computes). */
export const silu = (x: number): number => x / (1 + Math.exp(-x));
