// The answer, first on the page: each side's step on its target hardware with its band, what it achieves, how
// much of it communication costs, its energy, and the wafer/cluster ratio under the comparison rule in force.

import { stepsPerToken, type Result, type RunRecord } from '../engine/result.ts';
import { clear, fmt, fmtBytes, fmtTime, h, pct } from './dom.ts';
import { kSideLabel, optionLabel } from './labels.ts';

const ratio = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${fmt(x)}×`);

/** Decode and prefill: the figures people ask about first — per-token time, speed per user and in all, energy, memory. */
function llmRows(run: RunRecord, row: (k: string, v: string, cls?: string) => void, decode: boolean): void {
  const l = run.llm!;
  const t = run.target!;
  const per = stepsPerToken(t.stepUs, l.msPerToken);
  row(
    decode ? 'Per output token' : 'Per prompt token',
    `${fmtTime(l.msPerToken * 1e3)} (band ${fmtTime(t.band.lowUs / per)} – ${fmtTime(t.band.highUs / per)})`,
  );
  row('Tokens/s per user', `${fmt(l.tokensPerSecondPerUser)} — ${fmt(l.tokensPerSecond)} tokens/s in all`);
  row('Time to first token', fmtTime(l.ttftMs * 1e3));
  row('Tokens per joule', fmt(l.tokensPerJoule));
  const fewest = Number.isFinite(l.minUnitsToFit)
    ? `${l.minUnitsToFit} ${run.mode === 'wafer' ? 'wafers' : 'GPUs'}`
    : 'none up to the limit';
  row(
    'Model in memory',
    `${fmt(l.weightsGB)} GB of weights + ${fmt(l.kvGB)} GB of KV cache — ${l.fits ? 'fits' : 'does not fit'}; the fewest that hold it: ${fewest}`,
    l.fits ? undefined : 'bad',
  );
}

function card(run: RunRecord, workload: string): HTMLElement {
  const t = run.target!;
  const dl = h('dl');
  const row = (k: string, v: string, cls?: string) => dl.append(h('dt', { text: k }), h('dd', { text: v, class: cls }));
  if (run.llm) llmRows(run, row, workload === 'decode');
  row('Step time', `${fmtTime(t.stepUs)} (band ${fmtTime(t.band.lowUs)} – ${fmtTime(t.band.highUs)})`);
  if (run.flops > 0) row('Achieved', `${fmt(t.tflops)} TFLOP/s — MFU ${pct(t.mfu)} of ${fmt(t.peakTflops)} TFLOP/s dense`);
  row('Exposed communication', `${fmtTime(t.exposedCommUs)} (${pct(t.stepUs > 0 ? t.exposedCommUs / t.stepUs : 0)} of the step)`);
  row(
    'Energy',
    `${fmt(t.joules)} J per step at ${fmt(t.watts / 1e3)} kW${run.flops > 0 && t.joules > 0 ? ` — ${fmt(run.flops / t.joules / 1e9)} GFLOP/J` : ''}`,
  );
  row(
    'Memory per unit',
    `${fmtBytes(t.memoryBytes)} of ${fmtBytes(t.memoryCapacityBytes)}${t.fits ? '' : ' — does not fit'}`,
    t.fits ? undefined : 'bad',
  );
  return h(
    'section',
    { class: `card side-${run.mode}`, 'aria-label': `${kSideLabel[run.mode]} projection` },
    h(
      'h3',
      {},
      h('span', { class: 'swatch', 'aria-hidden': 'true' }),
      `${kSideLabel[run.mode]}: `,
      h('span', { class: 'what', text: t.describe }),
    ),
    dl,
  );
}

/** One sentence: what is compared, and the ratio with its band. */
export function verdict(r: Result): string {
  const s = r.summary.target;
  const w = r.runs.find((x) => x.mode === 'wafer' && x.target);
  const c = r.runs.find((x) => x.mode === 'cluster' && x.target);
  if (!s || !w || !c || s.speedup === null) {
    const one = w ?? c;
    return one ? `${kSideLabel[one.mode]}: one step takes ${fmtTime(one.target!.stepUs)} on the target hardware.` : 'No projection.';
  }
  const band = s.speedupBand ? ` (band ${ratio(s.speedupBand.low)} – ${ratio(s.speedupBand.high)})` : '';
  const faster = s.speedup >= 1 ? 'the wafer is faster' : 'the cluster is faster';
  if (w.llm && c.llm) {
    const what = r.config.workload === 'decode' ? 'per output token' : 'per prompt';
    const fits = [w, c].filter((x) => !x.llm!.fits).map((x) => `${kSideLabel[x.mode]} does not hold the model`);
    return `${fmt(w.llm.tokensPerSecondPerUser)} tokens/s per user on the wafer, ${fmt(c.llm.tokensPerSecondPerUser)} on the cluster: cluster time ÷ wafer time ${what} ${ratio(s.speedup)}${band} — ${faster}.${fits.length ? ` ${fits.join('; ')}.` : ''}`;
  }
  const energy = s.energyRatio !== null ? ` Per step the cluster uses ${ratio(s.energyRatio)} the wafer's energy.` : '';
  const full = [w, c]
    .filter((x) => !x.target!.fits)
    .map(
      (x) =>
        ` The ${kSideLabel[x.mode].toLowerCase()} side does not hold the step's data in its memory: this is not a layout it could run.`,
    )
    .join('');
  const sweep = r.config.workload === 'allreduce' ? ' for the largest message' : '';
  return `Cluster step ÷ wafer step: ${ratio(s.speedup)}${band}${sweep} — ${faster}.${energy}${full}`;
}

export function renderAnswer(el: HTMLElement, r: Result | null, error: string | null): void {
  clear(el);
  el.append(h('h2', { id: 'answer-title', text: 'The answer on the target hardware' }));
  if (error) {
    el.append(h('p', { class: 'error', role: 'alert', text: `No projection for this configuration: ${error}` }));
    return;
  }
  if (!r) {
    el.append(h('p', { class: 'muted', text: 'Projecting…' }));
    return;
  }
  el.append(h('p', { class: 'verdict', text: verdict(r) }));
  const cards = h('div', { class: 'cards' });
  for (const run of r.runs.filter((x) => x.target)) cards.append(card(run, String(r.config.workload)));
  el.append(cards);
  const s = r.summary.target;
  const notes: string[] = [];
  if (s && s.waferUnits !== null && s.clusterUnits !== null)
    notes.push(`Compared at ${optionLabel('equal', s.equal).toLowerCase()}: ${s.waferUnits} wafer tiles, ${s.clusterUnits} GPUs.`);
  if (s?.baselines && (s.baselines.gpuUs !== null || s.baselines.waferUs !== null))
    notes.push(`The same step on one GPU: ${fmtTime(s.baselines.gpuUs)}; on the whole wafer as one tile: ${fmtTime(s.baselines.waferUs)}.`);
  notes.push('A projection from sourced hardware figures: nothing has run yet. Run adds a verified execution of the same program here.');
  for (const n of notes) el.append(h('p', { class: 'muted', text: n }));
}
