// Kernel wrappers for the transformer-layer family (shaders/llm.wgsl): RMSNorm, SwiGLU and attention. Pipelines are
// cached under keys built from every specialization input (entry point, workgroup size, head dimension, which inputs
// live in the output's buffer); each call returns its key so the run can report the kernels it used.

import llmWgsl from '../../shaders/llm.wgsl?raw';
import { KernelCache, elementwiseGroups, kElementwiseWg } from './kernels.ts';
import { checkAttention, checkRmsnorm, checkSwiglu, type AttentionOp, type RmsnormOp, type SwigluOp } from '../ops/llm.ts';

/** An op with its buffer names replaced by device buffers. */
export type OnDevice<O, B extends keyof O> = Omit<O, B | 'kind' | 'label'> & { readonly [K in B]: GPUBuffer };

export type RmsnormArgs = OnDevice<RmsnormOp, 'x' | 'w' | 'y'>;
export type SwigluArgs = OnDevice<SwigluOp, 'gate' | 'up' | 'out'>;
export type AttentionArgs = OnDevice<AttentionOp, 'q' | 'k' | 'v' | 'out'>;

/** Invocations per workgroup: rows of RMSNorm and attention are reduced by one workgroup each. */
const kNormWg = 128;
/** Keys scored per online-softmax step: the attention workgroup, one key per invocation (MAX_DPT·WG = 256 covers kMaxHeadDim). */
export const kAttentionBlockKeys = 64;
/** Workgroups per dispatch at most (the default maxComputeWorkgroupsPerDimension); the kernels grid-stride beyond. */
const kMaxGroups = 65535;

const flag = (b: boolean): number => (b ? 1 : 0);

export class LlmKernels extends KernelCache {
  private module: GPUShaderModule | null = null;
  /** Bound to the slot of an input that is read through the output's binding instead (never read). */
  private placeholderBuffer: GPUBuffer | null = null;

  /** A name per buffer, for the shape and overlap checks the ops share with the CPU semantics. */
  private name(b: GPUBuffer): string {
    return `#${this.id(b)}`;
  }

  /** One module for every entry point and specialization of shaders/llm.wgsl. */
  private get llmModule(): GPUShaderModule {
    this.module ??= this.device.createShaderModule({ label: 'llm', code: llmWgsl });
    return this.module;
  }

  private get placeholder(): GPUBuffer {
    this.placeholderBuffer ??= this.device.createBuffer({ label: 'llm placeholder', size: 16, usage: GPUBufferUsage.STORAGE });
    return this.placeholderBuffer;
  }

  /**
   * Encodes one dispatch. `inputs` are the read-only operands in binding order; one that is the output's buffer is
   * read through the output's binding (its override flag set, a placeholder in its own slot).
   */
  private async encode(
    pass: GPUComputePassEncoder,
    entry: 'rmsnorm' | 'swiglu' | 'attention',
    wg: number,
    extra: Record<string, number>,
    inputs: [flagName: string, buf: GPUBuffer][],
    output: GPUBuffer,
    params: Uint32Array<ArrayBuffer>,
    groups: number,
  ): Promise<string> {
    const constants: Record<string, number> = { WG: wg, ...extra };
    for (const [name, buf] of inputs) constants[name] = flag(buf === output);
    const key = `llm:${entry}/${Object.entries(constants)
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}`;
    const pipeline = await this.pipeline(key, () => this.llmModule, entry, constants);
    const buffers = [...inputs.map(([, buf]) => (buf === output ? this.placeholder : buf)), output];
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, this.bind(pipeline, key, buffers, params));
    pass.dispatchWorkgroups(Math.max(1, groups));
    return key;
  }

  /** y = x / rms(x) ∘ w, row by row; returns the pipeline key. */
  rmsnorm(pass: GPUComputePassEncoder, a: RmsnormArgs): Promise<string> {
    checkRmsnorm({ ...a, kind: 'rmsnorm', x: this.name(a.x), w: this.name(a.w), y: this.name(a.y), label: 'rmsnorm' });
    // eps travels as f32 bits in the u32 parameter block.
    const params = new Uint32Array([a.rows, a.dim, a.offX, a.offW, a.offY, 0, 0, 0]);
    new Float32Array(params.buffer)[5] = a.eps;
    const inputs: [string, GPUBuffer][] = [
      ['X_IN_Y', a.x],
      ['W_IN_Y', a.w],
    ];
    return this.encode(pass, 'rmsnorm', kNormWg, {}, inputs, a.y, params, Math.min(a.rows, kMaxGroups));
  }

  /** out = silu(gate)·up, element-wise; returns the pipeline key. */
  swiglu(pass: GPUComputePassEncoder, a: SwigluArgs): Promise<string> {
    checkSwiglu({ ...a, kind: 'swiglu', gate: this.name(a.gate), up: this.name(a.up), out: this.name(a.out), label: 'swiglu' });
    const params = new Uint32Array([a.count, a.offGate, a.offUp, a.offOut]);
    const inputs: [string, GPUBuffer][] = [
      ['GATE_IN_OUT', a.gate],
      ['UP_IN_OUT', a.up],
    ];
    // checkSwiglu above holds count ≥ 1, so the dispatch is never empty.
    return this.encode(pass, 'swiglu', kElementwiseWg, {}, inputs, a.out, params, elementwiseGroups(a.count));
  }

  /** Causal grouped-query attention over a KV cache (see AttentionOp); returns the pipeline key. */
  attention(pass: GPUComputePassEncoder, a: AttentionArgs): Promise<string> {
    // checkAttention caps headDim at kMaxHeadDim = MAX_DPT·WG, what the kernel's output registers hold.
    checkAttention({
      ...a,
      kind: 'attention',
      q: this.name(a.q),
      k: this.name(a.k),
      v: this.name(a.v),
      out: this.name(a.out),
      label: 'attention',
    });
    const params = new Uint32Array([
      a.batch,
      a.queries,
      a.heads,
      a.kvHeads,
      a.past,
      a.ctx,
      a.offQ,
      a.offK,
      a.offV,
      a.offOut,
      0, // scale, as f32 bits below
      0,
    ]);
    new Float32Array(params.buffer)[10] = 1 / Math.sqrt(a.headDim);
    const inputs: [string, GPUBuffer][] = [
      ['Q_IN_OUT', a.q],
      ['K_IN_OUT', a.k],
      ['V_IN_OUT', a.v],
    ];
    const rows = a.batch * a.queries * a.heads;
    return this.encode(pass, 'attention', kAttentionBlockKeys, { HEAD_DIM: a.headDim }, inputs, a.out, params, Math.min(rows, kMaxGroups));
  }

  override dispose(): void {
    super.dispose();
    this.placeholderBuffer?.destroy();
    this.placeholderBuffer = null;
  }
}
