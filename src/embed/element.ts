// <wafer-bench query="..." src="..."> — a custom element that embeds a live demo: it creates the iframe, sizes it,
// checks every message's origin and source, re-dispatches them as DOM events, and can ask for a new run.

const kTypes = new Set(['ready', 'progress', 'result', 'error']);

export class WaferBenchElement extends HTMLElement {
  static observedAttributes = ['query', 'src', 'height'];
  private frame: HTMLIFrameElement | null = null;
  private appOrigin = '';
  private readonly onMessage = (ev: MessageEvent) => {
    if (!this.frame || ev.source !== this.frame.contentWindow || ev.origin !== this.appOrigin) return;
    const d = ev.data as { source?: unknown; type?: unknown } | null;
    if (!d || d.source !== 'wafer-bench' || typeof d.type !== 'string' || !kTypes.has(d.type)) return;
    this.dispatchEvent(new CustomEvent(`wafer-bench:${d.type}`, { detail: d, bubbles: true, composed: true }));
  };

  connectedCallback(): void {
    window.addEventListener('message', this.onMessage);
    this.render();
  }

  disconnectedCallback(): void {
    window.removeEventListener('message', this.onMessage);
  }

  attributeChangedCallback(): void {
    if (this.isConnected) this.render();
  }

  /** The page's URL for this element: its src (default: this module's folder) with the query, embed=1 and our origin. */
  private url(): URL {
    const base = this.getAttribute('src') ?? new URL(/* @vite-ignore */ './', import.meta.url).toString();
    const url = new URL(base, location.href);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new Error(`<wafer-bench> src must be an http(s) URL; got ${url.protocol}`);
    const q = new URLSearchParams(this.getAttribute('query') ?? '');
    q.set('embed', '1');
    q.set('origin', location.origin);
    url.search = q.toString();
    url.hash = '';
    return url;
  }

  private render(): void {
    let url: URL;
    try {
      url = this.url();
    } catch (e) {
      this.textContent = (e as Error).message;
      return;
    }
    this.appOrigin = url.origin;
    if (!this.frame) {
      this.frame = document.createElement('iframe');
      this.frame.title = this.getAttribute('title') ?? 'wafer-bench live demo';
      this.frame.loading = 'lazy';
      this.frame.style.cssText = 'width:100%;border:1px solid #8884;border-radius:6px;display:block';
      this.replaceChildren(this.frame);
    }
    this.frame.style.height = `${Number(this.getAttribute('height')) || 460}px`;
    if (this.frame.src !== url.toString()) this.frame.src = url.toString();
  }

  /** Asks the embedded page to run a query (validated there exactly like its URL). */
  run(query: string): void {
    this.frame?.contentWindow?.postMessage({ source: 'wafer-bench', type: 'run', query }, this.appOrigin);
  }
}

if (!customElements.get('wafer-bench')) customElements.define('wafer-bench', WaferBenchElement);
