// Kernel wrappers: the matmul variant ladder and the element-wise kernels, with pipelines and bind groups cached
// under keys built from every specialization input.

import naiveWgsl from '../../shaders/matmul_naive.wgsl?raw';
import tiledWgsl from '../../shaders/matmul_tiled.wgsl?raw';
import vec4Wgsl from '../../shaders/matmul_vec4.wgsl?raw';
import subgroupWgsl from '../../shaders/matmul_subgroup.wgsl?raw';
import elementwiseWgsl from '../../shaders/elementwise.wgsl?raw';
import type { MatmulVariant } from './variants.ts';

const div = (a: number, b: number): number => Math.ceil(a / b);

export { canRun, kMatmulVariants, kNaiveKey, variantByKey, type MatmulVariant } from './variants.ts';

export interface MatmulArgs {
  a: GPUBuffer;
  offA: number;
  b: GPUBuffer;
  offB: number;
  c: GPUBuffer;
  offC: number;
  m: number;
  n: number;
  k: number;
  accumulate: boolean;
}

/** Invocations per workgroup of the element-wise kernels (also SwiGLU's, in llm-kernels.ts). */
export const kElementwiseWg = 256;
/** Grid-stride loops cap the dispatch; each invocation then covers several elements. */
const kMaxElementwiseGroups = 4096;

/** Workgroups an element-wise kernel (also SwiGLU's) dispatches over `total` elements: at least 1, at most the cap. */
export const elementwiseGroups = (total: number): number => Math.max(1, Math.min(kMaxElementwiseGroups, div(total, kElementwiseWg)));

/**
 * Pipelines and bind groups cached per device: a pipeline under its key, a bind group (with its uniform buffer) under
 * the pipeline key, the buffers' ids and the parameters, so calls with the same buffers and parameters reuse it.
 */
export class KernelCache {
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private readonly bindings = new Map<string, { uniform: GPUBuffer; group: GPUBindGroup }>();
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private nextId = 1;

  constructor(readonly device: GPUDevice) {}

  /** A number per buffer, stable for the buffer's life. */
  protected id(b: GPUBuffer): number {
    let v = this.ids.get(b);
    if (v === undefined) this.ids.set(b, (v = this.nextId++));
    return v;
  }

  /** The pipeline cached under `key`; `module` is called only when it is first built. */
  protected pipeline(
    key: string,
    module: () => GPUShaderModule,
    entryPoint: string,
    constants: Record<string, number>,
  ): Promise<GPUComputePipeline> {
    let p = this.pipelines.get(key);
    if (!p) {
      p = this.device.createComputePipelineAsync({ label: key, layout: 'auto', compute: { module: module(), entryPoint, constants } });
      this.pipelines.set(key, p);
    }
    return p;
  }

  /** `buffers[i]` goes to binding i (null: unused by this entry point); the uniform follows them. */
  protected bind(pipeline: GPUComputePipeline, key: string, buffers: (GPUBuffer | null)[], params: Uint32Array<ArrayBuffer>): GPUBindGroup {
    const k = `${key}|${buffers.map((b) => (b ? this.id(b) : '-')).join(',')}|${params.join(',')}`;
    let hit = this.bindings.get(k);
    if (!hit) {
      const uniform = this.device.createBuffer({
        label: `${key} params`,
        size: params.byteLength,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      this.device.queue.writeBuffer(uniform, 0, params);
      const entries: GPUBindGroupEntry[] = [];
      buffers.forEach((buffer, binding) => buffer && entries.push({ binding, resource: { buffer } }));
      entries.push({ binding: buffers.length, resource: { buffer: uniform } });
      hit = { uniform, group: this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }) };
      this.bindings.set(k, hit);
    }
    return hit.group;
  }

  dispose(): void {
    for (const { uniform } of this.bindings.values()) uniform.destroy();
    this.bindings.clear();
  }
}

export class Kernels extends KernelCache {
  constructor(
    device: GPUDevice,
    readonly subgroups: boolean,
  ) {
    super(device);
  }

  /** A pipeline with a shader module of its own, labelled with its key. */
  private pipelineOf(key: string, code: string, entryPoint: string, constants: Record<string, number>): Promise<GPUComputePipeline> {
    return this.pipeline(key, () => this.device.createShaderModule({ label: key, code }), entryPoint, constants);
  }

  matmulPipeline(v: MatmulVariant): Promise<GPUComputePipeline> {
    const code = { naive: naiveWgsl, tiled: tiledWgsl, vec4: vec4Wgsl, subgroup: subgroupWgsl }[v.family];
    return this.pipelineOf(`matmul:${v.key}`, code, 'main', v.constants);
  }

  /** Encodes C (+)= A·B with variant `v` into `pass` (the pipeline must have been prepared). */
  async matmul(pass: GPUComputePassEncoder, v: MatmulVariant, x: MatmulArgs): Promise<void> {
    const pipeline = await this.matmulPipeline(v);
    const params = new Uint32Array([x.m, x.n, x.k, x.accumulate ? 1 : 0, x.offA, x.offB, x.offC, 0]);
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, this.bind(pipeline, v.key, [x.a, x.b, x.c], params));
    const [gx, gy] = v.dispatch(x.m, x.n);
    pass.dispatchWorkgroups(gx, gy);
  }

  private async elementwise(
    pass: GPUComputePassEncoder,
    entry: 'accumulate' | 'accumulate4' | 'copy2d' | 'gelu',
    buffers: (GPUBuffer | null)[],
    params: number[],
    total: number,
  ): Promise<void> {
    const pipeline = await this.pipelineOf(`elementwise:${entry}/wg${kElementwiseWg}`, elementwiseWgsl, entry, { WG: kElementwiseWg });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, this.bind(pipeline, entry, buffers, new Uint32Array(params)));
    pass.dispatchWorkgroups(elementwiseGroups(total));
  }

  /** dst[offDst + i] += src[offSrc + i] for i < count. */
  add(pass: GPUComputePassEncoder, dst: GPUBuffer, offDst: number, src: GPUBuffer, offSrc: number, count: number): Promise<void> {
    if (count % 4 === 0 && offDst % 4 === 0 && offSrc % 4 === 0) {
      return this.elementwise(pass, 'accumulate4', [src, dst], [count / 4, offDst / 4, offSrc / 4, 0, 0, 0, 0, 0], count / 4);
    }
    return this.elementwise(pass, 'accumulate', [src, dst], [count, offDst, offSrc, 0, 0, 0, 0, 0], count);
  }

  /** Copies a rows×cols block between row-major layouts with leading dimensions ldDst and ldSrc. */
  copy2d(
    pass: GPUComputePassEncoder,
    dst: GPUBuffer,
    offDst: number,
    ldDst: number,
    src: GPUBuffer,
    offSrc: number,
    ldSrc: number,
    rows: number,
    cols: number,
  ): Promise<void> {
    return this.elementwise(pass, 'copy2d', [src, dst], [rows * cols, offDst, offSrc, rows, cols, ldDst, ldSrc, 0], rows * cols);
  }

  /** In-place GeLU (tanh form) on buf[off .. off + count). */
  gelu(pass: GPUComputePassEncoder, buf: GPUBuffer, off: number, count: number): Promise<void> {
    return this.elementwise(pass, 'gelu', [null, buf], [count, off, 0, 0, 0, 0, 0, 0], count);
  }
}
