// Numbers as `npm run calibrate` prints them; the page's import panel shows its fits the same way.

/** µs to 0.1, 0.01 or 0.001 µs by size (nccl-tests prints times to 0.01 µs or 0.1 µs). */
export const us = (x: number): string => (x >= 1000 ? x.toFixed(1) : x >= 10 ? x.toFixed(2) : x.toFixed(3));

/** A relative error as a signed percentage with one decimal. */
export const signed = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
