// @vitest-environment happy-dom
// Adding a workload is one new file and one line in the registry table. The fixture test/fixtures/workloads/double.ts
// is such a file. This test copies the source tree, puts the fixture in src/workloads/ and adds it to the table in
// src/workloads/index.ts (its import and its entry, nothing else), then loads that copy: the URL accepts the
// workload, both sides project it, the CLI's tables print it, the page offers it with its label and its parameters'
// controls, and its plan computes what its reference says on the CPU interpreter.

import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { WorkloadSpec } from '../../src/workloads/workload.ts';
import { execOnCpu } from './cpu-exec.ts';

const kRepo = join(import.meta.dirname, '..', '..');
const kCopy = join(kRepo, 'test-results', 'new-workload');
rmSync(kCopy, { recursive: true, force: true });
mkdirSync(kCopy, { recursive: true });
for (const dir of ['src', 'shaders', 'workers']) cpSync(join(kRepo, dir), join(kCopy, dir), { recursive: true });
afterAll(() => rmSync(kCopy, { recursive: true, force: true }));

// The new file: the fixture, its imports pointed from src/workloads/ instead of test/fixtures/workloads/.
const fixture = readFileSync(join(kRepo, 'test/fixtures/workloads/double.ts'), 'utf8');
writeFileSync(join(kCopy, 'src/workloads/double.ts'), fixture.replaceAll("'../../../src/", "'../"));
// The table line (and the import that names it).
const indexFile = join(kCopy, 'src/workloads/index.ts');
const before = readFileSync(indexFile, 'utf8');
const after = before
  .replace("import { mlp } from './mlp.ts';", "import { mlp } from './mlp.ts';\nimport { double } from './double.ts';")
  .replace('{ gemm, mlp, allreduce, decode, prefill }', '{ gemm, mlp, allreduce, decode, prefill, double }');
writeFileSync(indexFile, after);

const at = (path: string) => join(kCopy, 'src', path);
const { parseQuery } = (await import(at('config/params.ts'))) as typeof import('../../src/config/params.ts');
const { predict, planSide, sideLayout } = (await import(at('model/predict.ts'))) as typeof import('../../src/model/predict.ts');
const { formatResult } = (await import(at('cli/tables.ts'))) as typeof import('../../src/cli/tables.ts');
const { kControls } = (await import(at('ui/controls.ts'))) as typeof import('../../src/ui/controls.ts');
const { optionLabel } = (await import(at('ui/labels.ts'))) as typeof import('../../src/ui/labels.ts');
const { Inputs } = (await import(at('engine/inputs.ts'))) as typeof import('../../src/engine/inputs.ts');
const { checkBlock, emptyCheck } = (await import(at('engine/verify.ts'))) as typeof import('../../src/engine/verify.ts');
const { kWorkloadSpecs } = (await import(at('workloads/index.ts'))) as { kWorkloadSpecs: Record<string, WorkloadSpec> };
const double = kWorkloadSpecs.double!;

describe('a new workload: one file and one table line', () => {
  it('the change is the new file and two lines of the table file: its import and its entry', () => {
    const a = before.split('\n');
    const b = after.split('\n');
    expect(b.length).toBe(a.length + 1);
    expect(b.filter((l) => !a.includes(l))).toEqual([
      "import { double } from './double.ts';",
      expect.stringContaining('{ gemm, mlp, allreduce, decode, prefill, double }'),
    ]);
  });

  it('the URL takes it, and refuses what it cannot lay out with its own reason', () => {
    const ok = parseQuery('workload=double&m=64&shards=4');
    expect(ok.errors).toEqual([]);
    expect(ok.config.workload).toBe('double');
    expect(() => planSide(ok.config, sideLayout(ok.config, 'cluster'))).not.toThrow();
    const bad = parseQuery('workload=double&m=2&shards=4').config;
    expect(() => planSide(bad, sideLayout(bad, 'cluster'))).toThrow(/double over 4 units needs m ≥ 4; got m=2/);
  });

  it('both sides project it, and the CLI prints it', () => {
    const r = predict(parseQuery('workload=double&m=4096&shards=4').config);
    expect(r.runs.map((x) => x.mode)).toEqual(['wafer', 'cluster']);
    for (const run of r.runs) {
      expect(run.strategy).toBe('blocks');
      expect(run.target!.stepUs).toBeGreaterThan(0);
      expect(run.target!.commUs).toBe(0);
    }
    expect(formatResult(r)).toMatch(/^# double, precision bf16/m);
  });

  it('the page offers it, labelled, with the controls of the parameters it reads', () => {
    expect(kControls.find((c) => c.name === 'workload')!.options).toContain('double');
    expect(optionLabel('workload', 'double')).toBe(double.label);
    const c = parseQuery('workload=double').config;
    const shown = kControls.filter((x) => !x.when || x.when(c)).map((x) => x.name);
    expect(shown).toContain('m');
    expect(shown).not.toContain('k');
  });

  it('its plan computes its reference on the CPU interpreter', async () => {
    const c = parseQuery('workload=double&m=50&shards=3').config;
    const plan = planSide(c, sideLayout(c, 'cluster'));
    const inputs = new Inputs(c.seed);
    const x = await inputs.get('X', 1, c.m);
    const out = execOnCpu(plan.program, (u, buf, a) => {
      const p = plan.inputs.find((q) => q.unit === u && q.buf === buf)!;
      a.set(x.subarray(p.c0, p.c0 + p.cols));
    });
    const ref = await double.reference!(c, plan, inputs);
    const check = emptyCheck();
    for (const p of plan.outputs) checkBlock(out[p.unit]!.get(p.buf)!, p, ref, check);
    expect(check.checked).toBe(50);
    expect(check.wrong).toBe(0);
  });
});
