// Worker-to-worker byte transports: `message` (a MessagePort per peer, transferring ArrayBuffers) and `sab`
// (shared-memory mailboxes per ordered pair, streamed in slots with Atomics.waitAsync/notify).

export type TransportKind = 'sab' | 'message';

/** A shared mailbox from one worker to another: a ring of `slots` slots of `slotBytes` each. */
export interface MailboxSpec {
  from: number;
  to: number;
  sab: SharedArrayBuffer;
  slots: number;
  slotBytes: number;
}

/** Control words: [0] slots written, [1] slots read, then per slot [length, tag, sequence]. */
const kCtl = 2;
const kPerSlot = 3;
const kHeaderBytes = 256;

export function createMailbox(from: number, to: number, slots = 2, slotBytes = 1 << 20): MailboxSpec {
  return { from, to, sab: new SharedArrayBuffer(kHeaderBytes + slots * slotBytes), slots, slotBytes };
}

/** Receives a message's bytes in order; `onChunk` gets each piece with its byte offset in the message. */
export type ChunkSink = (byteOffset: number, bytes: Uint8Array) => void;

export interface Endpoint {
  readonly kind: TransportKind;
  send(to: number, tag: number, bytes: Uint8Array): Promise<void>;
  recv(from: number, tag: number, byteLength: number, onChunk: ChunkSink): Promise<void>;
  close(): void;
}

/** Fails a wait that runs past `timeoutMs`, naming what was awaited. */
function deadline(timeoutMs: number, what: string): { promise: Promise<never>; cancel(): void } {
  let id: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<never>((_, reject) => {
    id = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return { promise, cancel: () => clearTimeout(id) };
}

interface Queued {
  tag: number;
  seq: number;
  data: ArrayBuffer;
}

/** The `message` transport: one MessagePort per peer; each message transfers its ArrayBuffer (no copy). */
export class MessageEndpoint implements Endpoint {
  readonly kind = 'message';
  private readonly inbox = new Map<number, Queued[]>();
  private readonly waiters = new Map<number, () => void>();
  private readonly sendSeq = new Map<number, number>();
  private readonly recvSeq = new Map<number, number>();

  constructor(
    private readonly ports: Map<number, MessagePort>,
    private readonly timeoutMs: number,
  ) {
    for (const [peer, port] of ports) {
      this.inbox.set(peer, []);
      port.onmessage = (ev: MessageEvent) => {
        const m = ev.data as Queued;
        this.inbox.get(peer)!.push(m);
        this.waiters.get(peer)?.();
      };
      port.start();
    }
  }

  async send(to: number, tag: number, bytes: Uint8Array): Promise<void> {
    const port = this.ports.get(to);
    if (!port) throw new Error(`no link to shard ${to}`);
    const seq = (this.sendSeq.get(to) ?? 0) + 1;
    this.sendSeq.set(to, seq);
    const data =
      bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer;
    port.postMessage({ tag, seq, data } satisfies Queued, [data]);
  }

  async recv(from: number, tag: number, byteLength: number, onChunk: ChunkSink): Promise<void> {
    const q = this.inbox.get(from);
    if (!q) throw new Error(`no link from shard ${from}`);
    if (q.length === 0) {
      const d = deadline(this.timeoutMs, `a message from shard ${from}`);
      try {
        await Promise.race([new Promise<void>((resolve) => this.waiters.set(from, resolve)), d.promise]);
      } finally {
        d.cancel();
        this.waiters.delete(from);
      }
    }
    const m = q.shift()!;
    const seq = (this.recvSeq.get(from) ?? 0) + 1;
    this.recvSeq.set(from, seq);
    if (m.seq !== seq) throw new Error(`message from shard ${from} out of order or lost: expected #${seq}, got #${m.seq}`);
    if (m.tag !== tag || m.data.byteLength !== byteLength) {
      throw new Error(
        `message from shard ${from} does not match: expected tag ${tag} of ${byteLength} bytes, got tag ${m.tag} of ${m.data.byteLength} bytes`,
      );
    }
    onChunk(0, new Uint8Array(m.data));
  }

  close(): void {
    for (const port of this.ports.values()) port.close();
  }
}

/** One direction of a shared mailbox, seen from one side. */
class Mailbox {
  readonly ctl: Int32Array;
  readonly data: Uint8Array;
  constructor(readonly spec: MailboxSpec) {
    this.ctl = new Int32Array(spec.sab, 0, kCtl + kPerSlot * spec.slots);
    this.data = new Uint8Array(spec.sab, kHeaderBytes);
  }
}

/** Waits until ctl[index] != value, or fails at the deadline. */
async function waitChange(ctl: Int32Array, index: number, value: number, timeoutMs: number, what: string): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (Atomics.load(ctl, index) === value) {
    const left = until - performance.now();
    if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    const r = Atomics.waitAsync(ctl, index, value, left);
    if (r.async) await r.value;
  }
}

/** The `sab` transport: bytes are streamed through shared slots; the receiver consumes each slot as it fills. */
export class SabEndpoint implements Endpoint {
  readonly kind = 'sab';
  private readonly out = new Map<number, Mailbox>();
  private readonly in = new Map<number, Mailbox>();
  private readonly sendSeq = new Map<number, number>();
  private readonly recvSeq = new Map<number, number>();
  /** Sends to one peer are serialized so their slots never interleave. */
  private readonly sendChain = new Map<number, Promise<void>>();

  constructor(
    self: number,
    mailboxes: MailboxSpec[],
    private readonly timeoutMs: number,
  ) {
    for (const spec of mailboxes) {
      if (spec.from === self) this.out.set(spec.to, new Mailbox(spec));
      if (spec.to === self) this.in.set(spec.from, new Mailbox(spec));
    }
  }

  send(to: number, tag: number, bytes: Uint8Array): Promise<void> {
    const box = this.out.get(to);
    if (!box) return Promise.reject(new Error(`no mailbox to shard ${to}`));
    const seq = (this.sendSeq.get(to) ?? 0) + 1;
    this.sendSeq.set(to, seq);
    const prev = this.sendChain.get(to) ?? Promise.resolve();
    const next = prev.then(() => this.stream(box, tag, seq, bytes, to));
    this.sendChain.set(
      to,
      next.catch(() => {}),
    );
    return next;
  }

  private async stream(box: Mailbox, tag: number, seq: number, bytes: Uint8Array, to: number): Promise<void> {
    const { slots, slotBytes } = box.spec;
    const ctl = box.ctl;
    let off = 0;
    do {
      const written = Atomics.load(ctl, 0);
      // Wait for a free slot: the reader must be less than `slots` behind.
      while (written - Atomics.load(ctl, 1) >= slots) {
        await waitChange(ctl, 1, Atomics.load(ctl, 1), this.timeoutMs, `shard ${to} to take a message`);
      }
      const slot = written % slots;
      const len = Math.min(slotBytes, bytes.byteLength - off);
      box.data.set(bytes.subarray(off, off + len), slot * slotBytes);
      ctl[kCtl + slot * kPerSlot] = len;
      ctl[kCtl + slot * kPerSlot + 1] = tag;
      ctl[kCtl + slot * kPerSlot + 2] = seq;
      Atomics.add(ctl, 0, 1);
      Atomics.notify(ctl, 0);
      off += len;
    } while (off < bytes.byteLength);
  }

  async recv(from: number, tag: number, byteLength: number, onChunk: ChunkSink): Promise<void> {
    const box = this.in.get(from);
    if (!box) throw new Error(`no mailbox from shard ${from}`);
    const seq = (this.recvSeq.get(from) ?? 0) + 1;
    this.recvSeq.set(from, seq);
    const { slots, slotBytes } = box.spec;
    const ctl = box.ctl;
    let off = 0;
    do {
      const read = Atomics.load(ctl, 1);
      if (Atomics.load(ctl, 0) === read) await waitChange(ctl, 0, read, this.timeoutMs, `a message from shard ${from}`);
      const slot = read % slots;
      const len = ctl[kCtl + slot * kPerSlot]!;
      const gotTag = ctl[kCtl + slot * kPerSlot + 1]!;
      const gotSeq = ctl[kCtl + slot * kPerSlot + 2]!;
      if (gotSeq !== seq) throw new Error(`message from shard ${from} out of order or lost: expected #${seq}, got #${gotSeq}`);
      if (gotTag !== tag || off + len > byteLength) {
        throw new Error(
          `message from shard ${from} does not match: expected tag ${tag} of ${byteLength} bytes, got tag ${gotTag} at byte ${off + len}`,
        );
      }
      // The sink copies (writeBuffer copies synchronously), so the slot can be released right after.
      onChunk(off, box.data.subarray(slot * slotBytes, slot * slotBytes + len));
      Atomics.add(ctl, 1, 1);
      Atomics.notify(ctl, 1);
      off += len;
    } while (off < byteLength);
  }

  close(): void {}
}
