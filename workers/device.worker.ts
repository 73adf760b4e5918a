// The device worker: owns one device (WebGPU, or the CPU backend where there is none) and its buffers, runs
// program ops, moves bytes to peer workers, and times kernels. Exposed with comlink; only ArrayBuffers (and
// MessagePorts at set-up) cross threads.

import * as Comlink from 'comlink';
import { MessageEndpoint, SabEndpoint, type Endpoint } from '../src/engine/transport.ts';
import type { ExecEvent, FaultSpec, InitOptions, LinkSetup, WorkerApi } from '../src/engine/exec.ts';
import { now } from '../src/gpu/timing.ts';
import { randomIntegers } from '../src/config/rng.ts';
import type { Backend } from './backend.ts';
import { CpuBackend } from './cpu-backend.ts';
import { GpuBackend } from './gpu-backend.ts';

let backend: Backend | null = null;
let endpoint: Endpoint | null = null;
let options: InitOptions = { index: 0, timeoutMs: 120_000, ranking: [], backend: 'webgpu' };

function dev(): Backend {
  if (!backend) throw new Error('worker not initialized');
  return backend;
}

function link(): Endpoint {
  if (!endpoint) throw new Error('no transport: link() was not called');
  return endpoint;
}

/** Ops run so far, for test-only fault injection. */
let opsRun = 0;

async function injectFault(kind: FaultSpec['kind']): Promise<void> {
  switch (kind) {
    case 'crash':
      // An uncaught error reaches the page's Worker 'error' handler; then the worker is gone.
      setTimeout(() => {
        self.close();
        throw new Error('injected crash: the worker died');
      });
      return new Promise(() => {});
    case 'lose-device':
      dev().lose();
      return;
    case 'hang':
      return new Promise(() => {});
    case 'drop':
      return link().inject('drop');
    case 'corrupt-message':
      return link().inject('corrupt');
  }
}

const api: WorkerApi = {
  async init(o) {
    options = o;
    backend = o.backend === 'cpu' ? new CpuBackend(o.cpuReason ?? 'not requested') : await GpuBackend.create(o.ranking);
    return backend.caps;
  },

  link(setup: LinkSetup) {
    endpoint?.close();
    // Waits for a peer give up before the page's own timeout on this worker, so that a silent worker is told
    // apart from the peers left waiting for it.
    const waitMs = Math.round(options.timeoutMs * 0.75);
    if (setup.kind === 'message') endpoint = new MessageEndpoint(new Map(setup.ports), waitMs);
    else if (setup.kind === 'sab') endpoint = new SabEndpoint(options.index, setup.mailboxes, waitMs);
    else endpoint = null;
  },

  alloc: (sizes) => dev().alloc(sizes),

  upload: (name, offset, data) => dev().upload(name, offset, data),

  async download(name, offset, count) {
    const out = new Float32Array(await dev().read(name, offset, count));
    return Comlink.transfer(out, [out.buffer]);
  },

  async fillIntegers(name, count, seed) {
    dev().upload(name, 0, randomIntegers(count, seed));
  },

  async countWrongSum(name, count, seeds) {
    const want = new Float32Array(count);
    for (const seed of seeds) {
      const v = randomIntegers(count, seed);
      for (let i = 0; i < count; i++) want[i]! += v[i]!;
    }
    const got = new Float32Array(await dev().read(name, 0, count));
    let wrong = 0;
    for (let i = 0; i < count; i++) if (got[i] !== want[i]) wrong++;
    return wrong;
  },

  async run(ops) {
    const d = dev();
    const events: ExecEvent[] = [];
    const sends: Promise<void>[] = [];
    for (const op of ops) {
      if (options.fault && options.fault.shard === options.index && opsRun++ === options.fault.afterOps)
        await injectFault(options.fault.kind);
      const start = now();
      if (op.kind === 'send') {
        const ep = link();
        // The readback is queued now, so later kernels cannot change what is sent; the rest runs in the background.
        const data = d.read(op.buf, op.off, op.count);
        sends.push(
          data.then(async (bytes) => {
            for (const to of op.to) await ep.send(to, op.tag, new Uint8Array(op.to.length > 1 ? bytes.slice(0) : bytes));
            events.push({ node: op.node, start, end: now() });
          }),
        );
      } else if (op.kind === 'recv') {
        await link().recv(op.from, op.tag, op.count * 4, (byteOffset, bytes) => d.write(op.buf, op.off * 4 + byteOffset, bytes));
        await d.settle();
        events.push({ node: op.node, start, end: now() });
      } else {
        await d.run(op);
        if (options.corrupt) d.corrupt(op);
        events.push({ node: op.node, start, end: now() });
      }
    }
    await Promise.all(sends);
    return events;
  },

  async calibrate(ops, samples) {
    const out: number[][] = [];
    for (const op of ops) {
      if (op.kind === 'send' || op.kind === 'recv') throw new Error('only compute and fabric ops are timed alone');
      const row: number[] = [];
      for (let s = 0; s < samples; s++) row.push(await dev().time(op));
      out.push(row);
    }
    return out;
  },

  kernels: (m, n, k, warmup, samples, only) => dev().kernels(m, n, k, warmup, samples, only),
  variants: (n, k) => dev().variants(n, k),
  bytesPath: (bytes) => dev().bytesPath(bytes),
  usedKernels: () => dev().usedKernels(),
  ledger: () => dev().ledger(),
  freeAll: () => dev().freeAll(),
  loseDevice: () => dev().lose(),

  dispose() {
    backend?.dispose();
    endpoint?.close();
    backend = null;
  },
};

Comlink.expose(api);
