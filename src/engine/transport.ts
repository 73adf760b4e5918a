// Worker-to-worker byte transports: `message` (a MessagePort per peer, transferring ArrayBuffers) and `sab`
// (shared-memory mailboxes per ordered pair, streamed in slots with Atomics.waitAsync/notify). Every message carries
// a sequence number and a checksum, so a lost, reordered or corrupted message is an error, never a wrong sum.

export type TransportKind = 'sab' | 'message';

/** A shared mailbox from one worker to another: a ring of `slots` slots of `slotBytes` each. */
export interface MailboxSpec {
  from: number;
  to: number;
  sab: SharedArrayBuffer;
  slots: number;
  slotBytes: number;
}

/** Test-only faults a sender can inject into its next message. */
export type TransportFault = 'drop' | 'corrupt';

/** Control words: [0] slots written, [1] slots read, then per slot [length, tag, sequence, checksum]. */
const kCtl = 2;
const kPerSlot = 4;
const kHeaderBytes = 256;

export function createMailbox(from: number, to: number, slots = 4, slotBytes = 1 << 20): MailboxSpec {
  return { from, to, sab: new SharedArrayBuffer(kHeaderBytes + slots * slotBytes), slots, slotBytes };
}

/** A running Fletcher-style checksum over 32-bit words (order-sensitive, about two adds a word). */
export class Checksum {
  private a = 1;
  private b = 0;
  update(bytes: Uint8Array): this {
    const n = bytes.byteLength >> 2;
    const words =
      bytes.byteOffset % 4 === 0 ? new Int32Array(bytes.buffer, bytes.byteOffset, n) : new Int32Array(bytes.slice(0, n * 4).buffer);
    let { a, b } = this;
    for (let i = 0; i < n; i++) {
      a = (a + words[i]!) | 0;
      b = (b + a) | 0;
    }
    for (let i = n * 4; i < bytes.byteLength; i++) {
      a = (a + bytes[i]!) | 0;
      b = (b + a) | 0;
    }
    this.a = a;
    this.b = b;
    return this;
  }
  get value(): number {
    return (this.a ^ Math.imul(this.b, 0x9e3779b1)) | 0;
  }
}

export const checksum = (bytes: Uint8Array): number => new Checksum().update(bytes).value;

/** Receives a message's bytes in order; `onChunk` gets each piece with its byte offset in the message. */
export type ChunkSink = (byteOffset: number, bytes: Uint8Array) => void;

export interface Endpoint {
  readonly kind: TransportKind;
  send(to: number, tag: number, bytes: Uint8Array): Promise<void>;
  recv(from: number, tag: number, byteLength: number, onChunk: ChunkSink): Promise<void>;
  /** Test-only: the next message sent is dropped or corrupted after its checksum is taken. */
  inject(fault: TransportFault): void;
  close(): void;
}

/**
 * A wait for a peer that ran out: named `PeerTimeout` (the name survives the trip to the page), so the page can tell
 * a worker left waiting apart from the worker that caused it.
 */
export function peerTimeout(timeoutMs: number, what: string): Error {
  return Object.assign(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`), { name: 'PeerTimeout' });
}

/** Fails a wait that runs past `timeoutMs`, naming what was awaited. */
function deadline(timeoutMs: number, what: string): { promise: Promise<never>; cancel(): void } {
  let id: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<never>((_, reject) => {
    id = setTimeout(() => reject(peerTimeout(timeoutMs, what)), timeoutMs);
  });
  return { promise, cancel: () => clearTimeout(id) };
}

const mismatch = (from: number, what: string) => new Error(`message from shard ${from} ${what}`);

interface Queued {
  tag: number;
  seq: number;
  sum: number;
  data: ArrayBuffer;
}

/** Sequence numbers per peer, and a pending injected fault. */
class Sequencer {
  private readonly sent = new Map<number, number>();
  private readonly got = new Map<number, number>();
  fault: TransportFault | null = null;
  nextSend(to: number): number {
    const s = (this.sent.get(to) ?? 0) + 1;
    this.sent.set(to, s);
    return s;
  }
  nextRecv(from: number): number {
    const s = (this.got.get(from) ?? 0) + 1;
    this.got.set(from, s);
    return s;
  }
  /** Applies a pending fault to an outgoing copy: true means drop it. */
  apply(bytes: Uint8Array): boolean {
    const f = this.fault;
    this.fault = null;
    if (f === 'corrupt' && bytes.byteLength) bytes[bytes.byteLength >> 1]! ^= 0x40;
    return f === 'drop';
  }
}

/** The `message` transport: one MessagePort per peer; each message transfers its ArrayBuffer (no copy). */
export class MessageEndpoint implements Endpoint {
  readonly kind = 'message';
  private readonly inbox = new Map<number, Queued[]>();
  private readonly waiters = new Map<number, () => void>();
  private readonly seq = new Sequencer();

  constructor(
    private readonly ports: Map<number, MessagePort>,
    private readonly timeoutMs: number,
  ) {
    for (const [peer, port] of ports) {
      this.inbox.set(peer, []);
      port.onmessage = (ev: MessageEvent) => {
        this.inbox.get(peer)!.push(ev.data as Queued);
        this.waiters.get(peer)?.();
      };
      port.start();
    }
  }

  inject(fault: TransportFault): void {
    this.seq.fault = fault;
  }

  async send(to: number, tag: number, bytes: Uint8Array): Promise<void> {
    const port = this.ports.get(to);
    if (!port) throw new Error(`no link to shard ${to}`);
    const seq = this.seq.nextSend(to);
    const sum = checksum(bytes);
    const copy = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    if (this.seq.apply(copy)) return;
    port.postMessage({ tag, seq, sum, data: copy.buffer as ArrayBuffer } satisfies Queued, [copy.buffer as ArrayBuffer]);
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
    const seq = this.seq.nextRecv(from);
    if (m.seq !== seq) throw mismatch(from, `was lost or reordered: expected #${seq}, got #${m.seq}`);
    if (m.tag !== tag || m.data.byteLength !== byteLength) {
      throw mismatch(from, `does not match: expected tag ${tag} of ${byteLength} bytes, got tag ${m.tag} of ${m.data.byteLength} bytes`);
    }
    const bytes = new Uint8Array(m.data);
    if (checksum(bytes) !== m.sum) throw mismatch(from, `#${seq} is corrupted (checksum mismatch over ${byteLength} bytes)`);
    onChunk(0, bytes);
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
    if (left <= 0) throw peerTimeout(timeoutMs, what);
    const r = Atomics.waitAsync(ctl, index, value, left);
    if (r.async) await r.value;
  }
}

/** The `sab` transport: bytes are streamed through shared slots; the receiver consumes each slot as it fills. */
export class SabEndpoint implements Endpoint {
  readonly kind = 'sab';
  private readonly out = new Map<number, Mailbox>();
  private readonly in = new Map<number, Mailbox>();
  private readonly seq = new Sequencer();
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

  inject(fault: TransportFault): void {
    this.seq.fault = fault;
  }

  send(to: number, tag: number, bytes: Uint8Array): Promise<void> {
    const box = this.out.get(to);
    if (!box) return Promise.reject(new Error(`no mailbox to shard ${to}`));
    const seq = this.seq.nextSend(to);
    const sum = checksum(bytes);
    let data = bytes;
    if (this.seq.fault) {
      data = bytes.slice();
      if (this.seq.apply(data)) return Promise.resolve();
    }
    const prev = this.sendChain.get(to) ?? Promise.resolve();
    const next = prev.then(() => this.stream(box, tag, seq, sum, data, to));
    this.sendChain.set(
      to,
      next.catch(() => {}),
    );
    return next;
  }

  private async stream(box: Mailbox, tag: number, seq: number, sum: number, bytes: Uint8Array, to: number): Promise<void> {
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
      const h = kCtl + slot * kPerSlot;
      ctl[h] = len;
      ctl[h + 1] = tag;
      ctl[h + 2] = seq;
      ctl[h + 3] = sum;
      Atomics.add(ctl, 0, 1);
      Atomics.notify(ctl, 0);
      off += len;
    } while (off < bytes.byteLength);
  }

  async recv(from: number, tag: number, byteLength: number, onChunk: ChunkSink): Promise<void> {
    const box = this.in.get(from);
    if (!box) throw new Error(`no mailbox from shard ${from}`);
    const seq = this.seq.nextRecv(from);
    const { slots, slotBytes } = box.spec;
    const ctl = box.ctl;
    const sum = new Checksum();
    let want = 0;
    let off = 0;
    do {
      const read = Atomics.load(ctl, 1);
      if (Atomics.load(ctl, 0) === read) await waitChange(ctl, 0, read, this.timeoutMs, `a message from shard ${from}`);
      const slot = read % slots;
      const h = kCtl + slot * kPerSlot;
      const len = ctl[h]!;
      const gotSeq = ctl[h + 2]!;
      want = ctl[h + 3]!;
      if (gotSeq !== seq) throw mismatch(from, `was lost or reordered: expected #${seq}, got #${gotSeq}`);
      if (ctl[h + 1] !== tag || off + len > byteLength) {
        throw mismatch(from, `does not match: expected tag ${tag} of ${byteLength} bytes, got tag ${ctl[h + 1]} at byte ${off + len}`);
      }
      const chunk = box.data.subarray(slot * slotBytes, slot * slotBytes + len);
      sum.update(chunk);
      // The sink copies (writeBuffer copies synchronously), so the slot can be released right after.
      onChunk(off, chunk);
      Atomics.add(ctl, 1, 1);
      Atomics.notify(ctl, 1);
      off += len;
    } while (off < byteLength);
    if (sum.value !== want) throw mismatch(from, `#${seq} is corrupted (checksum mismatch over ${byteLength} bytes)`);
  }

  close(): void {}
}
