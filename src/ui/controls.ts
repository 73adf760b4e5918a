// The controls panel: one labeled input per URL parameter, kept in sync with the URL, plus named presets.

import {
  defaultConfig,
  kCollectives,
  kFabrics,
  kLinks,
  kModes,
  kStrategies,
  kSweeps,
  kTransports,
  kWorkloads,
  type Config,
} from '../config/params.ts';
import { h } from './dom.ts';

interface Control {
  name: keyof Config;
  label: string;
  options?: readonly string[];
  placeholder?: string;
  help: string;
  /** Shown only for these workloads (all when absent). */
  workloads?: Config['workload'][];
}

const kControls: Control[] = [
  { name: 'mode', label: 'Mode', options: kModes, help: 'compare runs both styles on the same inputs' },
  { name: 'workload', label: 'Workload', options: kWorkloads, help: 'GEMM, the Megatron MLP, or an all-reduce sweep' },
  { name: 'm', label: 'M', help: 'rows of A and C', workloads: ['gemm'] },
  { name: 'n', label: 'N', help: 'columns of B and C', workloads: ['gemm'] },
  { name: 'k', label: 'K', help: 'inner dimension', workloads: ['gemm'] },
  { name: 'tokens', label: 'Tokens', help: 'rows of X', workloads: ['mlp'] },
  { name: 'hidden', label: 'Hidden', help: 'model width; the MLP is 4× wider', workloads: ['mlp'] },
  { name: 'layers', label: 'Layers', help: 'MLP blocks in a row', workloads: ['mlp'] },
  { name: 'shards', label: 'Shards', help: 'cluster devices, 1–16', placeholder: '4' },
  { name: 'tiles', label: 'Tiles', placeholder: 'auto (RxC)', help: 'wafer tile mesh, e.g. 2x2; empty: squarest for shards' },
  { name: 'strategy', label: 'Strategy', options: kStrategies, help: 'how the cluster splits the GEMM', workloads: ['gemm'] },
  { name: 'grid', label: 'Grid', placeholder: 'auto (RxC)', help: 'device grid for strategy=summa', workloads: ['gemm'] },
  { name: 'collective', label: 'Collective', options: kCollectives, help: 'all-reduce algorithm on the cluster' },
  { name: 'transport', label: 'Transport', options: kTransports, help: 'how bytes move between workers' },
  { name: 'link', label: 'Link', options: kLinks, help: 'the interconnect the cluster emulates' },
  { name: 'fabric', label: 'Fabric', options: kFabrics, help: 'the on-wafer fabric the tiles emulate' },
  { name: 'alpha', label: 'α (µs)', placeholder: 'custom', help: 'custom latency per message (link) or hop (fabric)' },
  { name: 'gbps', label: 'GB/s', placeholder: 'custom', help: 'custom bandwidth, per direction' },
  { name: 'tflops', label: 'TFLOP/s', placeholder: 'custom', help: 'custom target peak' },
  { name: 'minBytes', label: 'Min bytes', help: 'smallest all-reduce message', workloads: ['allreduce'] },
  { name: 'maxBytes', label: 'Max bytes', help: 'largest all-reduce message', workloads: ['allreduce'] },
  { name: 'factor', label: 'Factor', help: 'size step of the sweep', workloads: ['allreduce'] },
  { name: 'sweep', label: 'Sweep', options: kSweeps, help: 'shards: 1, 2, 4, … units on each side' },
  { name: 'iters', label: 'Iterations', help: 'timed steps' },
  { name: 'warmup', label: 'Warm-up', help: 'untimed steps first' },
  { name: 'seed', label: 'Seed', help: 'inputs are seeded random' },
  { name: 'verify', label: 'Verify', options: ['1', '0'], help: 'check every result against a CPU reference' },
];

export interface Preset {
  name: string;
  query: string;
}

export const kPresets: readonly Preset[] = Object.freeze([
  { name: 'Default: 1024³ GEMM, 4 GPUs over NVLink vs a 2×2 wafer', query: '' },
  { name: 'Megatron MLP, 8 GPUs over NVLink vs a wafer', query: 'workload=mlp&shards=8&tokens=256&hidden=512' },
  { name: 'PCIe box vs wafer (GEMM, K split)', query: 'shards=4&link=pcie5&m=512&n=512&k=512' },
  { name: 'InfiniBand across nodes vs wafer', query: 'shards=8&link=ib-ndr&m=512&n=512&k=512' },
  { name: 'All-reduce sweep, ring', query: 'workload=allreduce&mode=cluster&collective=ring&maxBytes=4194304' },
  { name: 'All-reduce sweep, halving-doubling', query: 'workload=allreduce&mode=cluster&collective=rhd&maxBytes=4194304' },
  { name: 'Scaling: 1 to 8 units, small GEMM', query: 'sweep=shards&shards=8&m=256&n=256&k=256&iters=5' },
  { name: 'Quick check (small)', query: 'm=128&n=128&k=128&iters=5&warmup=1' },
]);

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

  constructor(onChange: (query: string) => void, onPreset: (query: string) => void) {
    this.el = h('form', { class: 'controls', 'aria-label': 'Benchmark parameters' });
    this.el.addEventListener('submit', (e) => e.preventDefault());
    const presetSel = h('select', { id: 'preset', 'aria-label': 'Preset' }, h('option', { value: '', text: 'Presets…' }));
    kPresets.forEach((p, i) => presetSel.append(h('option', { value: String(i), text: p.name })));
    presetSel.addEventListener('change', () => {
      const p = kPresets[Number(presetSel.value)];
      presetSel.value = '';
      if (p) onPreset(p.query);
    });
    this.el.append(h('div', { class: 'control preset' }, h('label', { for: 'preset', text: 'Preset' }), presetSel));
    for (const c of kControls) {
      const id = `p-${c.name}`;
      let input: HTMLInputElement | HTMLSelectElement;
      if (c.options) {
        input = h('select', { id, name: c.name });
        for (const o of c.options) input.append(h('option', { value: o, text: o }));
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
      input.title = c.help;
      input.addEventListener('change', () => onChange(this.query()));
      this.inputs.set(c.name, input);
      const row = h('div', { class: 'control' }, h('label', { for: id, text: c.label }), input);
      this.rows.set(c.name, row);
      this.el.append(row);
    }
  }

  /** The query string the form describes (defaults omitted). */
  query(): string {
    const q = new URLSearchParams();
    for (const [name, input] of this.inputs) {
      const v = input.value.trim();
      if (v !== '') q.set(name, v);
    }
    // Values equal to the default are dropped so links stay short.
    const def = defaultConfig();
    for (const [name] of this.inputs) if (q.get(name) === valueOf(def, name)) q.delete(name);
    return q.toString();
  }

  set(c: Config): void {
    for (const [name, input] of this.inputs) input.value = valueOf(c, name);
    for (const ctl of kControls) {
      const row = this.rows.get(ctl.name)!;
      row.hidden = Boolean(ctl.workloads && !ctl.workloads.includes(c.workload));
    }
  }

  setDisabled(disabled: boolean): void {
    for (const input of this.inputs.values()) input.disabled = disabled;
  }
}
