// The embed example's own script: shows what each demo reports (text only).
const el = document.getElementById('demo-element');
const elStatus = document.getElementById('element-status');
el.addEventListener(
  'wafer-bench:progress',
  (e) => (elStatus.textContent = `Element: ${e.detail.phase} (${Math.round(e.detail.fraction * 100)}%)`),
);
el.addEventListener('wafer-bench:result', (e) => {
  const s = e.detail.result.summary.target;
  elStatus.textContent = `Element: done — cluster step ÷ wafer step ${s?.speedup?.toFixed(2) ?? '—'}× on the target, run here and verified over the ${e.detail.result.env.transport} transport`;
});
el.addEventListener('wafer-bench:error', (e) => (elStatus.textContent = `Element: error — ${e.detail.message}`));

const frame = document.getElementById('demo-frame');
const frameStatus = document.getElementById('frame-status');
window.addEventListener('message', (ev) => {
  if (ev.source !== frame.contentWindow || ev.origin !== location.origin || ev.data?.source !== 'wafer-bench') return;
  if (ev.data.type === 'progress') frameStatus.textContent = `Iframe: ${ev.data.phase}`;
  if (ev.data.type === 'result')
    frameStatus.textContent = `Iframe: done — ${ev.data.result.collectives.length} sizes, #wrong ${ev.data.result.collectives.reduce((s, c) => s + c.wrong, 0)}`;
  if (ev.data.type === 'error') frameStatus.textContent = `Iframe: error — ${ev.data.message}`;
});
