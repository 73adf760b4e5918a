// The one place benchmark parameters are defined, parsed, validated and serialized (URL, embed messages, CLI).
// Lists of names come from the registries (workloads, hardware presets, collectives), so a new entry needs no edit here.

import { kAlgorithmNames } from '../collectives/index.ts';
import { kFabricPresets } from '../model/hardware/fabrics.ts';
import { kGpuPresets, kPrecisions, type Precision } from '../model/hardware/gpus.ts';
import { kLinkPresets } from '../model/hardware/links.ts';
import { customShape, kModels } from '../workloads/llm/models.ts';
// The workloads' registry imports this module too: its names are read when a query is parsed, never while the
// modules load, so the cycle is harmless and a new workload needs no edit here.
import { kWorkloadNames, type WorkloadName } from '../workloads/index.ts';

export const kModes = Object.freeze(['compare', 'wafer', 'cluster'] as const);
export const kStrategies = Object.freeze(['ksplit', 'rows', 'summa'] as const);
export const kCollectives = kAlgorithmNames;
export const kTransports = Object.freeze(['auto', 'sab', 'message'] as const);
export const kLinkPresetNames = Object.freeze(Object.keys(kLinkPresets) as (keyof typeof kLinkPresets)[]);
export const kLinks = Object.freeze(['measured', ...kLinkPresetNames, 'custom'] as const);
export const kFabrics = Object.freeze(['measured', ...(Object.keys(kFabricPresets) as (keyof typeof kFabricPresets)[]), 'custom'] as const);
export const kGpus = Object.freeze([...(Object.keys(kGpuPresets) as (keyof typeof kGpuPresets)[]), 'custom'] as const);
export const kSweeps = Object.freeze(['none', 'shards', 'size'] as const);
export const kOutputs = Object.freeze(['sharded', 'replicated'] as const);
export const kEquals = Object.freeze(['units', 'power', 'peak'] as const);
export const kModelNames = Object.freeze([...(Object.keys(kModels) as (keyof typeof kModels)[]), 'custom'] as const);
export { kPrecisions };
export type { Precision };
const kDtypes = Object.freeze(['f32', 'f16'] as const);

export type Mode = (typeof kModes)[number];
export type Workload = WorkloadName;
export type Strategy = (typeof kStrategies)[number];
export type Collective = (typeof kCollectives)[number];
export type Transport = (typeof kTransports)[number];
export type LinkName = (typeof kLinks)[number];
export type FabricName = (typeof kFabrics)[number];
export type GpuName = (typeof kGpus)[number];
export type Output = (typeof kOutputs)[number];
export type Equal = (typeof kEquals)[number];

/** A mesh or device grid: rows × cols. */
export interface Grid {
  rows: number;
  cols: number;
}

export interface Config {
  mode: Mode;
  workload: Workload;
  m: number;
  n: number;
  k: number;
  tokens: number;
  hidden: number;
  layers: number;
  shards: number;
  grid: Grid | null; // null: squarest for `shards`
  tiles: Grid | null; // null: squarest for `shards`
  strategy: Strategy;
  /** Where the output must end, the same on both sides. */
  output: Output;
  /** The target's precision: its dense peak and bytes per element on the wire and in memory. */
  precision: Precision;
  /** The cluster's unit; null: the one the link usually joins. */
  gpu: GpuName | null;
  gpusPerNode: number;
  /** The link between nodes. */
  scaleout: Exclude<LinkName, 'measured' | 'custom'>;
  /** How compare sizes the two sides. */
  equal: Equal;
  /** decode, prefill: the model, and (model=custom) its shape beyond hidden and layers. */
  model: (typeof kModelNames)[number];
  heads: number | null;
  kvHeads: number | null;
  ffn: number | null;
  vocab: number | null;
  /** Concurrent sequences; tokens already in the KV cache; prefill tokens per sequence. */
  batch: number;
  context: number;
  prompt: number;
  /** Tensor- and pipeline-parallel degrees of the cluster (tp·pp = shards); null: derived. */
  tp: number | null;
  pp: number | null;
  /** Wafer systems; null: the fewest that hold the model. */
  wafers: number | null;
  collective: Collective;
  transport: Transport;
  link: LinkName;
  fabric: FabricName;
  alpha: number | null; // µs
  /** Custom link: latency charged once per collective, µs (0 when absent). */
  base: number | null;
  gbps: number | null; // GB/s per direction
  tflops: number | null; // TFLOP/s
  minBytes: number;
  maxBytes: number;
  factor: number;
  sweep: (typeof kSweeps)[number];
  iters: number;
  warmup: number;
  dtype: (typeof kDtypes)[number];
  verify: boolean;
  seed: number;
  autorun: boolean;
  embed: boolean;
  /** Milliseconds a worker may stay silent before the run fails (extension). */
  timeout: number;
}

/** A named problem with a parameter: what was wrong and what is allowed. */
export interface ParamError {
  param: string;
  value: string;
  message: string;
}

export interface Parsed {
  config: Config;
  errors: ParamError[];
  notes: string[];
}

const kMaxDim = 1 << 16;
/** Units a projection accepts on either side; a local run emulates at most kMaxLocalUnits. */
export const kMaxUnits = 4096;
export const kMaxLocalUnits = 16;
/** GPUs one node may hold (a node is the group joined by `link`; `scaleout` joins nodes). */
export const kMaxGpusPerNode = 64;
/** The most wafer systems a layout may use. */
export const kMaxWafers = 64;
/** The largest collective size a sweep may ask for (minBytes, maxBytes), bytes. */
export const kMaxSweepBytes = 2 ** 34;

export function defaultConfig(): Config {
  return {
    mode: 'compare',
    workload: 'gemm',
    m: 1024,
    n: 1024,
    k: 1024,
    tokens: 512,
    hidden: 1024,
    layers: 1,
    shards: 4,
    grid: null,
    tiles: null,
    strategy: 'ksplit',
    output: 'sharded',
    precision: 'bf16',
    gpu: null,
    gpusPerNode: 8,
    scaleout: 'ib-ndr',
    equal: 'units',
    model: 'llama3-8b',
    heads: null,
    kvHeads: null,
    ffn: null,
    vocab: null,
    batch: 1,
    context: 4096,
    prompt: 2048,
    tp: null,
    pp: null,
    wafers: null,
    collective: 'ring',
    transport: 'auto',
    link: 'nvlink4',
    fabric: 'wse3',
    alpha: null,
    base: null,
    gbps: null,
    tflops: null,
    minBytes: 1024,
    maxBytes: 64 * 1024 * 1024,
    factor: 4,
    sweep: 'none',
    iters: 20,
    warmup: 3,
    dtype: 'f32',
    verify: true,
    seed: 1,
    autorun: false,
    embed: false,
    timeout: 120_000,
  };
}

type Key = keyof Config;

/** How one parameter is read and written; `parse` throws a message that says what is allowed. */
interface Spec<K extends Key> {
  parse(raw: string): Config[K];
  format(v: Config[K]): string;
}

const show = (s: string): string => JSON.stringify(s.length > 40 ? s.slice(0, 40) + '…' : s);

function intSpec(min: number, max: number): Spec<Key> {
  return {
    parse(raw) {
      if (!/^[+]?\d{1,12}$/.test(raw.trim())) throw new Error(`must be an integer from ${min} to ${max}`);
      const v = Number(raw.trim());
      if (!Number.isSafeInteger(v) || v < min || v > max) throw new Error(`must be an integer from ${min} to ${max}`);
      return v as never;
    },
    format: (v) => String(v),
  };
}

function optNumberSpec(min: number, max: number, unit: string): Spec<Key> {
  return {
    parse(raw) {
      const t = raw.trim();
      const v = /^[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : NaN;
      if (!Number.isFinite(v) || v < min || v > max) throw new Error(`must be a number from ${min} to ${max} (${unit})`);
      return v as never;
    },
    format: (v) => String(v),
  };
}

function enumSpec(list: readonly string[] | (() => readonly string[])): Spec<Key> {
  return {
    parse(raw) {
      const values = typeof list === 'function' ? list() : list;
      if (!values.includes(raw)) throw new Error(`must be one of ${values.join(', ')}`);
      return raw as never;
    },
    format: (v) => String(v),
  };
}

const boolSpec: Spec<Key> = {
  parse(raw) {
    if (raw === '1' || raw === 'true') return true as never;
    if (raw === '0' || raw === 'false') return false as never;
    throw new Error('must be 1 or 0');
  },
  format: (v) => (v ? '1' : '0'),
};

const gridSpec: Spec<Key> = {
  parse(raw) {
    const m = /^(\d{1,2})x(\d{1,2})$/i.exec(raw.trim());
    const g = m ? { rows: Number(m[1]), cols: Number(m[2]) } : null;
    if (!g || g.rows < 1 || g.cols < 1 || g.rows > 64 || g.cols > 64) throw new Error('must be RxC with R and C from 1 to 64, e.g. 2x2');
    return g as never;
  },
  format: (v) => (v ? `${(v as Grid).rows}x${(v as Grid).cols}` : ''),
};

const kSpecs: { [K in Key]: Spec<K> } = {
  mode: enumSpec(kModes) as Spec<'mode'>,
  workload: enumSpec(() => kWorkloadNames) as Spec<'workload'>,
  m: intSpec(1, kMaxDim) as Spec<'m'>,
  n: intSpec(1, kMaxDim) as Spec<'n'>,
  k: intSpec(1, kMaxDim) as Spec<'k'>,
  tokens: intSpec(1, kMaxDim) as Spec<'tokens'>,
  hidden: intSpec(1, kMaxDim) as Spec<'hidden'>,
  layers: intSpec(1, 256) as Spec<'layers'>,
  shards: intSpec(1, kMaxUnits) as Spec<'shards'>,
  grid: gridSpec as Spec<'grid'>,
  tiles: gridSpec as Spec<'tiles'>,
  strategy: enumSpec(kStrategies) as Spec<'strategy'>,
  output: enumSpec(kOutputs) as Spec<'output'>,
  precision: enumSpec(kPrecisions) as Spec<'precision'>,
  gpu: enumSpec(kGpus) as Spec<'gpu'>,
  gpusPerNode: intSpec(1, kMaxGpusPerNode) as Spec<'gpusPerNode'>,
  scaleout: enumSpec(kLinkPresetNames) as Spec<'scaleout'>,
  equal: enumSpec(kEquals) as Spec<'equal'>,
  model: enumSpec(kModelNames) as Spec<'model'>,
  heads: intSpec(1, 4096) as Spec<'heads'>,
  kvHeads: intSpec(1, 4096) as Spec<'kvHeads'>,
  ffn: intSpec(1, 1 << 20) as Spec<'ffn'>,
  vocab: intSpec(1, 1 << 22) as Spec<'vocab'>,
  batch: intSpec(1, 4096) as Spec<'batch'>,
  context: intSpec(0, 1 << 20) as Spec<'context'>,
  prompt: intSpec(1, 1 << 20) as Spec<'prompt'>,
  tp: intSpec(1, kMaxUnits) as Spec<'tp'>,
  pp: intSpec(1, kMaxUnits) as Spec<'pp'>,
  wafers: intSpec(1, kMaxWafers) as Spec<'wafers'>,
  collective: enumSpec(kCollectives) as Spec<'collective'>,
  transport: enumSpec(kTransports) as Spec<'transport'>,
  link: enumSpec(kLinks) as Spec<'link'>,
  fabric: enumSpec(kFabrics) as Spec<'fabric'>,
  alpha: optNumberSpec(0, 1e6, 'µs') as Spec<'alpha'>,
  base: optNumberSpec(0, 1e6, 'µs') as Spec<'base'>,
  gbps: optNumberSpec(1e-3, 1e7, 'GB/s per direction') as Spec<'gbps'>,
  tflops: optNumberSpec(1e-6, 1e7, 'TFLOP/s') as Spec<'tflops'>,
  minBytes: intSpec(4, kMaxSweepBytes) as Spec<'minBytes'>,
  maxBytes: intSpec(4, kMaxSweepBytes) as Spec<'maxBytes'>,
  factor: intSpec(2, 1024) as Spec<'factor'>,
  sweep: enumSpec(kSweeps) as Spec<'sweep'>,
  iters: intSpec(1, 10_000) as Spec<'iters'>,
  warmup: intSpec(0, 1000) as Spec<'warmup'>,
  dtype: enumSpec(kDtypes) as Spec<'dtype'>,
  verify: boolSpec as Spec<'verify'>,
  seed: intSpec(0, 2 ** 32 - 1) as Spec<'seed'>,
  autorun: boolSpec as Spec<'autorun'>,
  embed: boolSpec as Spec<'embed'>,
  timeout: intSpec(100, 3_600_000) as Spec<'timeout'>,
};

export const kParamNames = Object.freeze(Object.keys(kSpecs) as Key[]);

function isKey(name: string): name is Key {
  return Object.prototype.hasOwnProperty.call(kSpecs, name);
}

/** The squarest R×C with R·C = units (R ≤ C). */
export function squarest(units: number): Grid {
  let rows = Math.floor(Math.sqrt(units));
  while (units % rows !== 0) rows--;
  return { rows, cols: units / rows };
}

export const tilesOf = (c: Config): Grid => c.tiles ?? squarest(c.shards);
export const gridOf = (c: Config): Grid => c.grid ?? squarest(c.shards);

const kMaxQueryChars = 8192;

/** Parameters the page reads itself rather than the benchmark (`origin`: the embedding host's origin). */
const kPageOnly = new Set(['origin']);

/**
 * Parses a query string (with or without `?`) or URLSearchParams. Never throws: every problem becomes a named
 * error or note, and the parameter keeps its default.
 */
export function parseQuery(input: string | URLSearchParams): Parsed {
  const config = defaultConfig();
  const errors: ParamError[] = [];
  const notes: string[] = [];
  let params: URLSearchParams;
  if (typeof input === 'string') {
    let q = input;
    if (q.length > kMaxQueryChars) {
      errors.push({
        param: '(query)',
        value: `${q.length} characters`,
        message: `query is longer than ${kMaxQueryChars} characters; ignored`,
      });
      q = '';
    }
    try {
      params = new URLSearchParams(q.startsWith('?') ? q.slice(1) : q);
    } catch {
      params = new URLSearchParams();
      errors.push({ param: '(query)', value: show(q), message: 'is not a query string' });
    }
  } else {
    params = input;
  }
  const seen = new Set<string>();
  for (const [name, raw] of params) {
    if (kPageOnly.has(name)) continue;
    if (!isKey(name)) {
      notes.push(`unknown parameter ${show(name)} ignored`);
      continue;
    }
    if (seen.has(name)) {
      errors.push({ param: name, value: show(raw), message: `${name} is given more than once; the first value is used` });
      continue;
    }
    seen.add(name);
    try {
      (config as unknown as Record<string, unknown>)[name] = kSpecs[name].parse(raw);
    } catch (e) {
      errors.push({
        param: name,
        value: show(raw),
        message: `${name}=${show(raw)}: ${(e as Error).message}; using ${formatDefault(name)}`,
      });
    }
  }
  if (!seen.has('autorun') && config.embed) config.autorun = true;
  checkConflicts(config, errors, seen);
  return { config, errors, notes };
}

function formatDefault(name: Key): string {
  const d = defaultConfig()[name];
  return d === null ? 'the default' : `the default ${(kSpecs[name] as Spec<Key>).format(d as never)}`;
}

/** Cross-parameter rules; a conflicting parameter falls back to its default. */
function checkConflicts(c: Config, errors: ParamError[], seen: Set<string>): void {
  const d = defaultConfig();
  if (c.minBytes > c.maxBytes) {
    errors.push({
      param: 'minBytes',
      value: String(c.minBytes),
      message: `minBytes=${c.minBytes} is larger than maxBytes=${c.maxBytes}; using both defaults`,
    });
    c.minBytes = d.minBytes;
    c.maxBytes = d.maxBytes;
  }
  if (c.collective === 'nvls' && (c.link === 'measured' || c.link === 'custom' || !kLinkPresets[c.link].nvls || c.shards > c.gpusPerNode)) {
    errors.push({
      param: 'collective',
      value: 'nvls',
      message: `collective=nvls needs a switch that reduces (link=nvlink4) inside one node (shards ≤ gpusPerNode); using ring`,
    });
    c.collective = d.collective;
  }
  if (c.model === 'custom') {
    const sh = customShape(c.hidden, c);
    if (c.hidden % sh.heads !== 0 || sh.heads % sh.kvHeads !== 0) {
      errors.push({
        param: 'model',
        value: 'custom',
        message: `model=custom needs hidden divisible by heads and heads by kvHeads; got hidden=${c.hidden}, heads=${sh.heads}, kvHeads=${sh.kvHeads}; using llama3-8b`,
      });
      c.model = d.model;
    }
  }
  if (c.tp !== null && c.pp !== null && c.tp * c.pp !== c.shards) {
    errors.push({ param: 'tp', value: String(c.tp), message: `tp=${c.tp} × pp=${c.pp} is not shards=${c.shards}; both derived instead` });
    c.tp = null;
    c.pp = null;
  }
  for (const k of ['tp', 'pp'] as const) {
    const v = c[k];
    if (v !== null && c.shards % v !== 0) {
      errors.push({ param: k, value: String(v), message: `${k}=${v} does not divide shards=${c.shards}; derived instead` });
      c[k] = null;
    }
  }
  if (c.gpu === 'custom' && c.tflops === null) {
    errors.push({
      param: 'gpu',
      value: 'custom',
      message: 'gpu=custom needs tflops (dense TFLOP/s at the target precision); using the default',
    });
    c.gpu = d.gpu;
  }
  if (c.link === 'custom' && (c.alpha === null || c.gbps === null || c.tflops === null)) {
    errors.push({
      param: 'link',
      value: 'custom',
      message: 'link=custom needs alpha (µs), gbps (GB/s per direction) and tflops (TFLOP/s); using nvlink4',
    });
    c.link = d.link;
  }
  if (c.fabric === 'custom' && (c.alpha === null || c.gbps === null || c.tflops === null)) {
    errors.push({
      param: 'fabric',
      value: 'custom',
      message:
        'fabric=custom needs alpha (µs per core hop), gbps (GB/s per core link per direction) and tflops (TFLOP/s for the whole wafer); using wse3',
    });
    c.fabric = d.fabric;
  }
  if (c.grid && c.grid.rows * c.grid.cols !== c.shards) {
    errors.push({
      param: 'grid',
      value: gridSpec.format(c.grid as never),
      message: `grid ${c.grid.rows}x${c.grid.cols} does not have shards=${c.shards} devices; using the squarest grid`,
    });
    c.grid = null;
  }
  if (c.dtype === 'f16') {
    errors.push({ param: 'dtype', value: 'f16', message: 'dtype=f16 is not available in this version; using f32' });
    c.dtype = 'f32';
  }
  if (c.sweep === 'shards' && c.tiles && seen.has('tiles')) {
    // A sweep sets tiles per point; an explicit mesh would contradict it.
    errors.push({
      param: 'tiles',
      value: gridSpec.format(c.tiles as never),
      message: 'tiles cannot be fixed when sweep=shards; each point uses the squarest mesh',
    });
    c.tiles = null;
  }
}

/** Serializes a configuration, omitting defaults so shared links stay short. */
export function toSearchParams(c: Config): URLSearchParams {
  const d = defaultConfig();
  const out = new URLSearchParams();
  for (const name of kParamNames) {
    const v = c[name];
    if (v === null) continue;
    const spec = kSpecs[name] as Spec<Key>;
    const s = spec.format(v as never);
    if (name === 'autorun' && c.embed) {
      if (!v) out.set(name, s);
      continue;
    }
    const dv = d[name];
    if (dv !== null && spec.format(dv as never) === s) continue;
    out.set(name, s);
  }
  return out;
}

/** The normalized configuration as a plain object for the result JSON (grids as strings, resolved). */
export function normalizedConfig(c: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of kParamNames) out[name] = c[name];
  const g = gridOf(c);
  const t = tilesOf(c);
  out.grid = `${g.rows}x${g.cols}`;
  out.tiles = `${t.rows}x${t.cols}`;
  return out;
}
