// A pool of device workers: spawns them, links them with the chosen transport, bounds every call with a timeout,
// turns a crash into an error that names the shard, and terminates them all on stop.

import * as Comlink from 'comlink';
import type { Capabilities } from '../gpu/device.ts';
import type { InitOptions, LinkSetup, WorkerApi } from './exec.ts';
import { createMailbox, type MailboxSpec, type TransportKind } from './transport.ts';

export interface Member {
  index: number;
  worker: Worker;
  api: Comlink.Remote<WorkerApi>;
  caps: Capabilities | null;
}

/** Live workers, for leak checks (tests read it through the page). */
export let liveWorkers = 0;

export class Pool {
  readonly members: Member[] = [];
  private readonly failed: Promise<never>;
  private fail: (e: Error) => void = () => {};
  private closed = false;

  constructor(
    readonly size: number,
    readonly name: string,
    private readonly timeoutMs: number,
  ) {
    this.failed = new Promise<never>((_, reject) => (this.fail = reject));
    this.failed.catch(() => {});
    for (let index = 0; index < size; index++) {
      const worker = new Worker(new URL('../../workers/device.worker.ts', import.meta.url), { type: 'module', name: `${name} ${index}` });
      liveWorkers++;
      worker.addEventListener('error', (ev) => {
        ev.preventDefault();
        this.fail(new Error(`${this.unitName(index)} failed: ${ev.message || 'the worker crashed'}`));
      });
      worker.addEventListener('messageerror', () => this.fail(new Error(`${this.unitName(index)} sent a message that could not be read`)));
      this.members.push({ index, worker, api: Comlink.wrap<WorkerApi>(worker), caps: null });
    }
  }

  unitName(index: number): string {
    return this.size === 1 ? `the ${this.name} device` : `${this.name} shard ${index}`;
  }

  /** Calls into one worker; fails with the shard's name on error, crash or timeout. */
  async call<T>(index: number, what: string, fn: (api: Comlink.Remote<WorkerApi>) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('stopped');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            Object.assign(
              new Error(`${this.unitName(index)} did not answer within ${this.timeoutMs} ms (${what}); raise it with timeout=`),
              {
                name: 'SilentWorker',
              },
            ),
          ),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([fn(this.members[index]!.api), this.failed, timeout]);
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      const named = msg.startsWith(this.unitName(index)) || msg === 'stopped' ? msg : `${this.unitName(index)}: ${msg} (during ${what})`;
      throw Object.assign(new Error(named), { name: (e as Error).name ?? 'Error' });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Calls every worker and waits for all of them. When several fail, the error reported is the cause rather than
   * its echoes: a crash, a lost device or a corrupted message first; then a worker that did not answer; and only
   * then a worker that gave up waiting for a peer.
   */
  all<T>(what: string, fn: (api: Comlink.Remote<WorkerApi>, index: number) => Promise<T>): Promise<T[]> {
    const silent = (e: Error) => e.name === 'SilentWorker';
    const waiting = (e: Error) => e.name === 'PeerTimeout';
    return new Promise<T[]>((resolve, reject) => {
      const out: T[] = [];
      const errors: Error[] = [];
      let left = this.size;
      for (const m of this.members) {
        this.call(m.index, what, (api) => fn(api, m.index))
          .then(
            (v) => (out[m.index] = v),
            (e: Error) => {
              errors.push(e);
              if (!silent(e) && !waiting(e)) reject(e); // a cause: no need to wait for its echoes
            },
          )
          .finally(() => {
            if (--left > 0) return;
            if (errors.length) reject(errors.find(silent) ?? errors[0]!);
            else resolve(out);
          });
      }
    });
  }

  async init(o: Omit<InitOptions, 'index'>): Promise<Capabilities[]> {
    const caps = await this.all('start-up', (api, index) => api.init({ ...o, index }));
    caps.forEach((c, i) => (this.members[i]!.caps = c));
    return caps;
  }

  /** Links every pair that exchanges messages: MessageChannels, or shared mailboxes. */
  async link(kind: TransportKind, pairs: [number, number][]): Promise<void> {
    if (this.size < 2) return;
    if (kind === 'message') {
      const ports = this.members.map(() => [] as [number, MessagePort][]);
      const done = new Set<string>();
      for (const [a, b] of pairs) {
        const key = a < b ? `${a}-${b}` : `${b}-${a}`;
        if (done.has(key)) continue;
        done.add(key);
        const ch = new MessageChannel();
        ports[a]!.push([b, ch.port1]);
        ports[b]!.push([a, ch.port2]);
      }
      await this.all('link', (api, i) => {
        const setup: LinkSetup = { kind: 'message', ports: ports[i]! };
        return api.link(
          Comlink.transfer(
            setup,
            ports[i]!.map(([, p]) => p),
          ),
        );
      });
    } else {
      const boxes: MailboxSpec[] = [];
      const seen = new Set<string>();
      for (const [a, b] of pairs) {
        if (seen.has(`${a}>${b}`)) continue;
        seen.add(`${a}>${b}`);
        boxes.push(createMailbox(a, b, 4, 1 << 20));
      }
      await this.all('link', (api, i) => api.link({ kind: 'sab', mailboxes: boxes.filter((m) => m.from === i || m.to === i) }));
    }
  }

  /** Ends every worker at once (stop, error, or end of run); GPU memory goes with them. */
  terminate(): void {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error('stopped'));
    for (const m of this.members) {
      m.api[Comlink.releaseProxy]();
      m.worker.terminate();
      liveWorkers--;
    }
  }

  /** Frees buffers politely, then terminates. */
  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.allSettled(this.members.map((m) => Promise.race([m.api.dispose(), new Promise((r) => setTimeout(r, 500))])));
    this.terminate();
  }
}
