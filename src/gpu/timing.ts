// Kernel timing: GPU timestamp queries around a pass of repeated dispatches where the adapter has them (Chrome
// quantizes timestamps to 100 µs, so short kernels are repeated inside one measurement), else wall time.

export const now = (): number => performance.timeOrigin + performance.now();

export type TimeSource = 'timestamp' | 'wall';

export class PassTimer {
  private readonly querySet: GPUQuerySet | null;
  private readonly resolve: GPUBuffer | null;
  private readonly readback: GPUBuffer | null;

  constructor(
    private readonly device: GPUDevice,
    timestampQuery: boolean,
  ) {
    this.querySet = timestampQuery ? device.createQuerySet({ type: 'timestamp', count: 2 }) : null;
    this.resolve = timestampQuery ? device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }) : null;
    this.readback = timestampQuery ? device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }) : null;
  }

  /** Milliseconds per repetition of `encode` (called `reps` times inside one compute pass). */
  async time(encode: (pass: GPUComputePassEncoder) => Promise<void>, reps: number): Promise<{ ms: number; source: TimeSource }> {
    const enc = this.device.createCommandEncoder();
    const pass = enc.beginComputePass(
      this.querySet ? { timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {},
    );
    for (let i = 0; i < reps; i++) await encode(pass);
    pass.end();
    if (this.querySet) {
      enc.resolveQuerySet(this.querySet, 0, 2, this.resolve!, 0);
      enc.copyBufferToBuffer(this.resolve!, 0, this.readback!, 0, 16);
    }
    const t0 = now();
    this.device.queue.submit([enc.finish()]);
    await this.device.queue.onSubmittedWorkDone();
    const wall = (now() - t0) / reps;
    if (!this.readback) return { ms: wall, source: 'wall' };
    await this.readback.mapAsync(GPUMapMode.READ);
    const t = new BigInt64Array(this.readback.getMappedRange().slice(0));
    this.readback.unmap();
    const ns = Number(t[1]! - t[0]!);
    // A zero or negative span means the adapter did not record it: fall back to the wall time.
    return ns > 0 ? { ms: ns / 1e6 / reps, source: 'timestamp' } : { ms: wall, source: 'wall' };
  }

  /**
   * Times with enough repetitions that one measurement spans at least `targetMs` (so the 100 µs quantization is
   * under 5%), estimated from one untimed run.
   */
  async timeAdaptive(
    encode: (pass: GPUComputePassEncoder) => Promise<void>,
    targetMs = 2,
    maxReps = 256,
  ): Promise<{ ms: number; reps: number; source: TimeSource }> {
    const first = await this.time(encode, 1);
    const reps = Math.max(1, Math.min(maxReps, Math.ceil(targetMs / Math.max(first.ms, 1e-3))));
    if (reps === 1) return { ...first, reps };
    const r = await this.time(encode, reps);
    return { ...r, reps };
  }

  dispose(): void {
    this.querySet?.destroy();
    this.resolve?.destroy();
    this.readback?.destroy();
  }
}
