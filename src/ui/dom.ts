// Tiny DOM helpers: elements are built with textContent only, so nothing from a URL or a message becomes HTML.

type Attrs = Record<string, string | number | boolean | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

/**
 * Resolves in a task of its own, so that work before and after it never adds up to one long task: scheduler.yield
 * where the browser has it, a message to itself otherwise (neither is throttled like a timer in a hidden tab).
 */
export function nextTask(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (typeof scheduler?.yield === 'function') return scheduler.yield();
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

/**
 * Calls `fn` in a task after the next frame is rendered, when style and layout are up to date: a focus() there
 * forces no layout of its own. Not called while the tab is hidden (no frames), which focus never needs.
 */
export function afterFrame(fn: () => void): void {
  requestAnimationFrame(() => setTimeout(fn, 0));
}

/** Sets (or, with null, removes) an attribute, writing nothing when it already holds that value. */
export function setAttr(el: Element, name: string, value: string | null): void {
  if (el.getAttribute(name) === value) return;
  if (value === null) el.removeAttribute(name);
  else el.setAttribute(name, value);
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}

/** Formats a number with a sensible number of significant digits. */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e7 || a < 1e-3) return x.toExponential(digits - 1);
  if (a >= 10 ** digits) return Math.round(x).toLocaleString('en-US');
  return x.toPrecision(digits).replace(/\.?0+$/, (m) => (m.includes('.') ? '' : m));
}

export function fmtBytes(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  let v = b;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${fmt(v, 4)} ${units[i]}`;
}

/** A duration given in µs, in the unit that reads best. */
export function fmtTime(us: number | null | undefined): string {
  if (us === null || us === undefined || !Number.isFinite(us)) return '—';
  const a = Math.abs(us);
  if (a >= 1e6) return `${fmt(us / 1e6)} s`;
  if (a >= 1e3) return `${fmt(us / 1e3)} ms`;
  if (a >= 1) return `${fmt(us)} µs`;
  return `${fmt(us * 1e3)} ns`;
}

/** A fraction as a percentage with one decimal. */
export const pct = (f: number | null | undefined): string =>
  f === null || f === undefined || !Number.isFinite(f) ? '—' : `${(f * 100).toFixed(1)}%`;

/** A table's head: one row of column headers. */
export function tableHead(head: string[]): HTMLTableSectionElement {
  return h('thead', {}, h('tr', {}, ...head.map((t) => h('th', { scope: 'col', text: t }))));
}

/** A table's body; a row is its cells (each in a td) or a row built already. */
export function tableBody(rows: ((string | Node)[] | HTMLTableRowElement)[]): HTMLTableSectionElement {
  return h(
    'tbody',
    {},
    ...rows.map((r) =>
      Array.isArray(r) ? h('tr', {}, ...r.map((v) => (typeof v === 'string' ? h('td', { text: v }) : h('td', {}, v)))) : r,
    ),
  );
}

/** A box of its own that scrolls a table sideways: focusable, and named by a label or by the element that labels it. */
export function scrollBox(name: { 'aria-label': string } | { 'aria-labelledby': string }, table: HTMLTableElement): HTMLElement {
  return h('div', { class: 'table-scroll', tabindex: '0', role: 'region', ...name }, table);
}

/**
 * A captioned table in a box of its own that scrolls sideways (focusable, named by the caption); a row is its cells
 * (each in a td) or a row built already.
 */
export function scrollTable(label: string, cls: string, head: string[], rows: ((string | Node)[] | HTMLTableRowElement)[]): HTMLElement {
  const table = h('table', { class: cls }, h('caption', { text: label }), tableHead(head), tableBody(rows));
  return scrollBox({ 'aria-label': label }, table);
}
