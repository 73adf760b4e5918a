// The controls: one labelled input or select per URL parameter (its `name` is the parameter), a visible one-line
// help under each, the few that change the question first and the rest under "Advanced", named presets with the
// one in force shown, and validation in place: a bad value stays in its field, marked invalid with its message
// beside it, and Run is blocked until it is fixed.

import {
  defaultConfig,
  parseQuery,
  type Config,
  kCollectives,
  kEquals,
  kFabrics,
  kGpus,
  kLinks,
  kModelNames,
  kModes,
  kOutputs,
  kPrecisions,
  kStrategies,
  kSweeps,
  kTransports,
  kLinkPresetNames,
} from '../config/params.ts';
import { kWorkloadNames, kWorkloadSpecs } from '../workloads/index.ts';
import { h, setAttr } from './dom.ts';
import { optionLabel } from './labels.ts';
import { canonicalQuery } from './share.ts';

interface Control {
  name: keyof Config;
  label: string;
  options?: readonly string[];
  placeholder?: string;
  help: string;
  /** Under "Advanced". */
  advanced?: boolean;
  /** Shown only when this holds (default: always). */
  when?: (c: Config) => boolean;
}

const reads = (name: keyof Config) => (c: Config) => kWorkloadSpecs[c.workload].params.includes(name);
const custom = (c: Config) => c.link === 'custom' || c.fabric === 'custom' || c.gpu === 'custom';
const llm = (c: Config) => c.workload === 'decode' || c.workload === 'prefill';
/** A model's own shape: the workload reads it, and (for decode and prefill) the model is custom. */
const shape = (name: keyof Config) => (c: Config) => reads(name)(c) && (!llm(c) || c.model === 'custom');

export const kControls: readonly Control[] = [
  { name: 'workload', label: 'Workload', options: kWorkloadNames, help: 'the model-parallel work both sides do' },
  { name: 'm', label: 'M', help: 'rows of A and C', when: reads('m') },
  { name: 'n', label: 'N', help: 'columns of B and C', when: reads('n') },
  { name: 'k', label: 'K', help: 'the inner dimension', when: reads('k') },
  { name: 'tokens', label: 'Tokens', help: 'rows of X: the tokens in flight', when: reads('tokens') },
  { name: 'model', label: 'Model', options: kModelNames, help: 'a published decoder shape, or custom', when: reads('model') },
  { name: 'batch', label: 'Batch', help: 'sequences decoded together (users)', when: reads('batch') },
  { name: 'context', label: 'Context', help: 'tokens already in each KV cache', when: (c) => c.workload === 'decode' },
  { name: 'prompt', label: 'Prompt', help: 'tokens of each prompt (prefill, and time to first token)', when: reads('prompt') },
  {
    name: 'hidden',
    label: 'Hidden',
    help: 'model width (the MLP block is 4× wider; a custom model’s FFN is its own)',
    when: shape('hidden'),
  },
  { name: 'layers', label: 'Layers', help: 'blocks one after another', when: shape('layers') },
  { name: 'heads', label: 'Heads', placeholder: 'auto', help: 'attention heads (divide hidden)', when: shape('heads') },
  { name: 'kvHeads', label: 'KV heads', placeholder: 'auto', help: 'key/value heads (divide heads)', when: shape('kvHeads') },
  { name: 'ffn', label: 'FFN', placeholder: 'auto', help: 'SwiGLU width', when: shape('ffn') },
  { name: 'vocab', label: 'Vocabulary', placeholder: 'auto', help: 'tokens of the LM head', when: shape('vocab') },
  { name: 'minBytes', label: 'Smallest message', help: 'bytes of the first all-reduce', when: reads('minBytes') },
  { name: 'maxBytes', label: 'Largest message', help: 'bytes of the last all-reduce', when: reads('maxBytes') },
  { name: 'mode', label: 'Sides', options: kModes, help: 'compare the wafer with the cluster, or look at one' },
  { name: 'shards', label: 'GPUs', placeholder: '4', help: 'cluster units, 1–4096 (a local run emulates up to 16)' },
  { name: 'tiles', label: 'Wafer tiles', placeholder: 'auto (RxC)', help: 'the wafer cut into R×C tiles; empty: as many as GPUs' },
  { name: 'gpu', label: 'GPU', options: ['', ...kGpus], help: 'peak, memory and power of one cluster unit' },
  { name: 'link', label: 'Link inside a node', options: kLinks, help: 'what joins the GPUs of a node' },
  { name: 'fabric', label: 'Wafer', options: kFabrics, help: 'the wafer-scale system and its fabric' },
  { name: 'equal', label: 'Compare at', options: kEquals, help: 'how the cluster is sized against the wafer' },
  { name: 'precision', label: 'Precision', options: kPrecisions, help: 'the targets’ number format: peak and bytes' },
  { name: 'output', label: 'Output', options: kOutputs, help: 'where the result must end, on both sides', when: reads('output') },
  {
    name: 'strategy',
    label: 'Cluster strategy',
    options: kStrategies,
    help: 'how the cluster splits the GEMM',
    advanced: true,
    when: reads('strategy'),
  },
  {
    name: 'grid',
    label: 'Device grid',
    placeholder: 'auto (RxC)',
    help: 'for SUMMA on the cluster',
    advanced: true,
    when: (c) => c.workload === 'gemm' && c.strategy === 'summa',
  },
  {
    name: 'collective',
    label: 'All-reduce algorithm',
    options: kCollectives,
    help: 'on the cluster (the wafer uses rings)',
    advanced: true,
  },
  {
    name: 'tp',
    label: 'Tensor parallel',
    placeholder: 'auto',
    help: 'GPUs per pipeline stage (tp × pp = GPUs)',
    advanced: true,
    when: reads('tp'),
  },
  { name: 'pp', label: 'Pipeline stages', placeholder: 'auto', help: 'on the cluster (tp × pp = GPUs)', advanced: true, when: reads('pp') },
  {
    name: 'wafers',
    label: 'Wafer systems',
    placeholder: 'auto',
    help: 'empty: the fewest that hold the model',
    advanced: true,
    when: reads('wafers'),
  },
  { name: 'gpusPerNode', label: 'GPUs per node', help: 'units joined by the node link; nodes by the scale-out link', advanced: true },
  { name: 'scaleout', label: 'Link between nodes', options: kLinkPresetNames, help: 'what joins the nodes', advanced: true },
  { name: 'sweep', label: 'Sweep', options: kSweeps, help: 'project over problem sizes or unit counts', advanced: true },
  { name: 'factor', label: 'Size step', help: 'each message this many times the last', advanced: true, when: reads('factor') },
  {
    name: 'alpha',
    label: 'α (µs)',
    placeholder: 'custom',
    help: 'custom latency per message (link) or core hop (fabric)',
    advanced: true,
    when: custom,
  },
  {
    name: 'base',
    label: 'Base (µs)',
    placeholder: 'custom',
    help: 'custom link latency once per collective',
    advanced: true,
    when: custom,
  },
  {
    name: 'gbps',
    label: 'GB/s',
    placeholder: 'custom',
    help: 'custom bandwidth per direction (per core link on a wafer)',
    advanced: true,
    when: custom,
  },
  {
    name: 'tflops',
    label: 'TFLOP/s',
    placeholder: 'custom',
    help: 'custom dense peak (a GPU, or the whole wafer)',
    advanced: true,
    when: custom,
  },
  { name: 'iters', label: 'Iterations', help: 'timed steps of a local run', advanced: true },
  { name: 'warmup', label: 'Warm-up', help: 'untimed steps first', advanced: true },
  { name: 'transport', label: 'Transport', options: kTransports, help: 'how bytes move between workers here', advanced: true },
  { name: 'seed', label: 'Seed', help: 'inputs are seeded random numbers', advanced: true },
  { name: 'verify', label: 'Verify', options: ['1', '0'], help: 'check every result against a CPU reference', advanced: true },
];

export interface Preset {
  name: string;
  query: string;
}

export const kPresets: readonly Preset[] = Object.freeze([
  { name: 'Default: 1024³ GEMM, 4 H100 over NVLink vs a 2×2 wafer', query: '' },
  { name: 'LLM decode: Llama 3.1 70B, 8 H100 (TP8) vs CS-3 wafers', query: 'workload=decode&model=llama3-70b&shards=8' },
  { name: 'LLM decode at batch 64: Llama 3.1 8B, 8 H100', query: 'workload=decode&model=llama3-8b&shards=8&batch=64' },
  { name: 'LLM prefill: a 2048-token prompt to Llama 3.1 70B', query: 'workload=prefill&model=llama3-70b&shards=8' },
  { name: 'Megatron MLP, 8 GPUs over NVLink vs the wafer', query: 'workload=mlp&shards=8&tokens=2048&hidden=8192' },
  { name: 'Large GEMM: 16384³ over 64 GPUs (8 nodes)', query: 'm=16384&n=16384&k=16384&shards=64' },
  { name: 'Where the crossover is: GEMM sizes, 8 GPUs', query: 'shards=8&sweep=size&m=16384&n=16384&k=16384' },
  { name: 'Same power: as many H100s as a CS-3 draws', query: 'equal=power&m=8192&n=8192&k=8192' },
  {
    name: 'All-reduce sweep: 8 × H100 vs 16 tiles',
    query: 'workload=allreduce&shards=8&tiles=4x4&minBytes=8&maxBytes=1073741824&factor=8',
  },
  { name: 'AMD MI300X over Infinity Fabric', query: 'link=mi300x-if&shards=8&m=8192&n=8192&k=8192' },
  { name: 'Quick local check (small)', query: 'm=128&n=128&k=128&iters=5&warmup=1' },
]);

/** Each preset's configuration as a canonical query, to find the preset in force. */
const kPresetQueries = kPresets.map((p) => canonicalQuery(parseQuery(p.query).config));

const valueOf = (c: Config, name: keyof Config): string => {
  const v = c[name];
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'object') return `${v.rows}x${v.cols}`;
  return String(v);
};

export class Controls {
  readonly el: HTMLFormElement;
  private readonly inputs = new Map<keyof Config, HTMLInputElement | HTMLSelectElement>();
  private readonly rows = new Map<keyof Config, HTMLElement>();
  private readonly errors = new Map<keyof Config, HTMLElement>();
  private readonly preset: HTMLSelectElement;
  private invalid = new Map<keyof Config, string>();
  /** The last configuration shown: a field that does not parse keeps standing for its last good value. */
  private last: Config = defaultConfig();

  /** `onChange` gets the query of the valid fields whenever a field changes. */
  constructor(onChange: (query: string) => void, onPreset: (query: string) => void) {
    this.el = h('form', { class: 'controls', id: 'run-controls', 'aria-label': 'Benchmark parameters', novalidate: true });
    this.el.addEventListener('submit', (e) => e.preventDefault());
    this.preset = h('select', { id: 'p-preset', 'aria-describedby': 'p-preset-help' });
    this.preset.append(h('option', { value: 'custom', text: 'Custom (your settings)' }));
    kPresets.forEach((p, i) => this.preset.append(h('option', { value: String(i), text: p.name })));
    this.preset.addEventListener('change', () => {
      const p = kPresets[Number(this.preset.value)];
      if (p) onPreset(p.query);
    });
    const main = h('div', { class: 'control-grid' });
    const advanced = h('div', { class: 'control-grid' });
    main.append(
      h(
        'div',
        { class: 'control wide' },
        h('label', { for: 'p-preset', text: 'Preset' }),
        this.preset,
        h('small', { id: 'p-preset-help', class: 'help', text: 'a question to start from; edit anything below' }),
      ),
    );
    for (const c of kControls) {
      const id = `p-${c.name}`;
      let input: HTMLInputElement | HTMLSelectElement;
      if (c.options) {
        input = h('select', { id, name: c.name });
        for (const o of c.options) input.append(h('option', { value: o, text: optionLabel(c.name, o) }));
      } else {
        input = h('input', {
          id,
          name: c.name,
          type: 'text',
          inputmode: c.placeholder?.includes('x') ? 'text' : 'decimal',
          placeholder: c.placeholder ?? '',
          autocomplete: 'off',
          spellcheck: 'false',
        });
      }
      const helpId = `${id}-help`;
      const errId = `${id}-error`;
      input.setAttribute('aria-describedby', helpId);
      input.addEventListener('change', () => onChange(this.query()));
      const err = h('small', { id: errId, class: 'field-error', role: 'alert', hidden: true });
      this.inputs.set(c.name, input);
      this.errors.set(c.name, err);
      const row = h(
        'div',
        { class: 'control' },
        h('label', { for: id, text: c.label }),
        input,
        h('small', { id: helpId, class: 'help', text: c.help }),
        err,
      );
      this.rows.set(c.name, row);
      (c.advanced ? advanced : main).append(row);
    }
    const more = h('details', { class: 'advanced' }, h('summary', { text: 'Advanced' }), advanced);
    this.el.append(main, more);
  }

  /** Parameters whose field holds a value that does not parse, with the message. */
  get problems(): ReadonlyMap<keyof Config, string> {
    return this.invalid;
  }

  /** Checks every field on its own; marks the bad ones; returns the query of the good ones (defaults omitted). */
  query(): string {
    const q = new URLSearchParams();
    const def = defaultConfig();
    this.invalid = new Map();
    for (const [name, input] of this.inputs) {
      const v = input.value.trim();
      if (v === '') {
        this.mark(name, null);
        continue;
      }
      const alone = parseQuery(new URLSearchParams([[name, v]]));
      const e = alone.errors.find((x) => x.param === name);
      this.mark(name, e ? e.message.replace(/; using .*$/, '') : null);
      const good = e ? valueOf(this.last, name) : v;
      if (good !== '' && good !== valueOf(def, name)) q.set(name, good);
    }
    return q.toString();
  }

  private mark(name: keyof Config, message: string | null): void {
    const input = this.inputs.get(name)!;
    const err = this.errors.get(name)!;
    if (message) this.invalid.set(name, message);
    // Only what changes is written: a run's start marks every field, and each write would make the page restyle.
    setAttr(input, 'aria-invalid', message ? 'true' : null);
    setAttr(input, 'aria-describedby', message ? `${input.id}-error ${input.id}-help` : `${input.id}-help`);
    if (err.textContent !== (message ?? '')) err.textContent = message ?? '';
    if (err.hidden !== !message) err.hidden = !message;
  }

  /** Forgets the marks (a new configuration from outside: a preset, a message, a link). */
  reset(): void {
    for (const name of this.inputs.keys()) this.mark(name, null);
    this.invalid = new Map();
  }

  /** Shows a configuration; fields still marked invalid keep what the person typed. */
  set(c: Config): void {
    this.last = c;
    for (const [name, input] of this.inputs) {
      const v = valueOf(c, name);
      if (!this.invalid.has(name) && input.value !== v) input.value = v;
    }
    for (const ctl of kControls) {
      const row = this.rows.get(ctl.name)!;
      const hide = Boolean(ctl.when && !ctl.when(c));
      if (row.hidden !== hide) row.hidden = hide;
    }
    const i = kPresetQueries.indexOf(canonicalQuery(c));
    const preset = i >= 0 ? String(i) : 'custom';
    if (this.preset.value !== preset) this.preset.value = preset;
  }

  setDisabled(disabled: boolean): void {
    for (const input of this.inputs.values()) if (input.disabled !== disabled) input.disabled = disabled;
    this.preset.disabled = disabled;
  }
}
