// The matmul variant ladder as data (no shader imports, so Node-side code and tests can list it).

const div = (a: number, b: number): number => Math.ceil(a / b);

export interface MatmulVariant {
  /** The ladder rung. */
  family: 'naive' | 'tiled' | 'vec4' | 'subgroup';
  /** Unique cache key: family, workgroup shape and per-invocation tile. */
  key: string;
  constants: Record<string, number>;
  /** Workgroups for an m×n output. */
  dispatch(m: number, n: number): [number, number];
  /** Needs N, K and all offsets divisible by 4 (vec4 loads). */
  aligned: boolean;
  needsSubgroups: boolean;
}

function naive(wx: number, wy: number): MatmulVariant {
  return {
    family: 'naive',
    key: `naive/wg${wx}x${wy}`,
    constants: { WG_X: wx, WG_Y: wy },
    dispatch: (m, n) => [div(n, wx), div(m, wy)],
    aligned: false,
    needsSubgroups: false,
  };
}
function tiled(tile: number, t: number): MatmulVariant {
  return {
    family: 'tiled',
    key: `tiled/wg${tile}x${tile}/t${t}x${t}`,
    constants: { TILE: tile, TM: t, TN: t },
    dispatch: (m, n) => [div(n, tile * t), div(m, tile * t)],
    aligned: false,
    needsSubgroups: false,
  };
}
function vec4(wx: number, wy: number): MatmulVariant {
  return {
    family: 'vec4',
    key: `vec4/wg${wx}x${wy}/t4x4`,
    constants: { WG_X: wx, WG_Y: wy },
    dispatch: (m, n) => [div(div(n, 4), wx), div(div(m, 4), wy)],
    aligned: true,
    needsSubgroups: false,
  };
}
function subgroup(wx: number): MatmulVariant {
  return {
    family: 'subgroup',
    key: `subgroup/wg${wx}x1/t4x4`,
    constants: { WG_X: wx },
    dispatch: (m, n) => [div(div(n, 4), wx), div(m, 4)],
    aligned: false,
    needsSubgroups: true,
  };
}

/** Every variant the autotune may pick, from the naive baseline up. */
export const kMatmulVariants: readonly MatmulVariant[] = Object.freeze([
  naive(8, 8),
  tiled(16, 1),
  tiled(8, 4),
  tiled(16, 4),
  vec4(8, 8),
  vec4(16, 16),
  vec4(4, 16),
  subgroup(64),
]);

export const kNaiveKey = 'naive/wg8x8';

export function variantByKey(key: string): MatmulVariant | undefined {
  return kMatmulVariants.find((v) => v.key === key);
}

/** Whether a variant can compute this call (alignment, features). */
export function canRun(
  v: MatmulVariant,
  x: { n: number; k: number; offA: number; offB: number; offC: number },
  subgroups: boolean,
): boolean {
  if (v.needsSubgroups && !subgroups) return false;
  if (v.aligned && (x.n % 4 || x.k % 4 || x.offA % 4 || x.offB % 4 || x.offC % 4)) return false;
  return true;
}
