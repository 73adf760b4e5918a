// Every entry of every registry is named by a test. The rule, checked on the code of each test file (comments do not
// count: the files are parsed as TypeScript): an entry named N of registry R is tested when some
// test/unit/*.test.ts or test/browser/*.spec.ts other than this file has
//   - a string literal that is exactly N          'h200', kLinkPresets['ib-ndr'], { kind: 'copy' }, byId('step-split')
//   - N read off the registry itself              kOps.matmul, kGpuPresets.h100
//   - N as a key of an object literal             const kFixtures = { scaling: () => …, 'step-split': () => … }
//   - N as a value after = in a string: a query parameter or an attribute selector
//                                                 'workload=mlp&shards=4', `${url}?gpu=h200`, '[data-chart="scaling"]'
// A new op, algorithm, workload, preset or chart without a test fails here, naming the entry and the registry.
// (That every hardware figure has a unit, a meaning and a source is checked in model.test.ts.)

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { kAlgorithms } from '../../src/collectives/index.ts';
import { kFabricPresets } from '../../src/model/hardware/fabrics.ts';
import { kGpuPresets } from '../../src/model/hardware/gpus.ts';
import { kLinkPresets } from '../../src/model/hardware/links.ts';
import { kOps } from '../../src/ops/index.ts';
import { kCharts } from '../../src/ui/charts/index.ts';
import { kWorkloadSpecs } from '../../src/workloads/index.ts';

const kRepo = join(import.meta.dirname, '..', '..');

/** The registries: name, where it lives, and the names of its entries. */
const kRegistries: { registry: string; file: string; names: string[] }[] = [
  { registry: 'kOps', file: 'src/ops/index.ts', names: Object.keys(kOps) },
  { registry: 'kAlgorithms', file: 'src/collectives/index.ts', names: Object.keys(kAlgorithms) },
  { registry: 'kWorkloadSpecs', file: 'src/workloads/index.ts', names: Object.keys(kWorkloadSpecs) },
  { registry: 'kGpuPresets', file: 'src/model/hardware/gpus.ts', names: Object.keys(kGpuPresets) },
  { registry: 'kLinkPresets', file: 'src/model/hardware/links.ts', names: Object.keys(kLinkPresets) },
  { registry: 'kFabricPresets', file: 'src/model/hardware/fabrics.ts', names: Object.keys(kFabricPresets) },
  { registry: 'kCharts', file: 'src/ui/charts/index.ts', names: kCharts.map((c) => c.id) },
];

/** What a test file's code says: its string and template texts, its `registry.name` reads, its object keys. */
interface Said {
  strings: string[];
  reads: Set<string>;
  keys: Set<string>;
}

function said(source: string, fileName = 'x.ts'): Said {
  const strings: string[] = [];
  const reads = new Set<string>();
  const keys = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node))
      strings.push(node.text);
    else if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression))
      reads.add(`${node.expression.text}.${node.name.text}`);
    else if (ts.isPropertyAssignment(node) && ts.isObjectLiteralExpression(node.parent) && ts.isIdentifier(node.name))
      keys.add(node.name.text);
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS));
  return { strings, reads, keys };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether code that says `s` names entry `name` of `registry`, by the rule above. */
function names(s: Said, registry: string, name: string): boolean {
  if (s.reads.has(`${registry}.${name}`) || s.keys.has(name)) return true;
  const value = new RegExp(`=["']?(?:[^&#="'\\s]*,)?${escape(name)}(?=$|[&#,"'\\]\\s])`);
  return s.strings.some((t) => t === name || value.test(t));
}

const kTestFiles = ['test/unit', 'test/browser'].flatMap((dir) =>
  readdirSync(join(kRepo, dir))
    .filter((f) => /\.(test|spec)\.ts$/.test(f) && f !== 'registries.test.ts')
    .map((f) => `${dir}/${f}`),
);
const kSaid = kTestFiles.map((file) => ({ file, said: said(readFileSync(join(kRepo, file), 'utf8'), file) }));

describe('the rule', () => {
  it('counts a whole string literal, a read off the registry, an object key and a value after =; not comments, prose or longer names', () => {
    const cases: [string, boolean][] = [
      [`const g = kGpuPresets['tpu-v5p'];`, true],
      [`expect(op).toMatchObject({ kind: 'tpu-v5p' });`, true],
      [`kGpuPresets.h100.peak;`, true],
      ['await page.goto(`${url}/?mode=cluster&gpu=tpu-v5p&m=8`);', true],
      [`parseQuery('gpu=h100,tpu-v5p,mi300x');`, true],
      [`page.locator('figure[data-gpu="tpu-v5p"] circle');`, true],
      [`const kFixtures = { h100: () => 1 };`, true],
      [`// kGpuPresets.h100 is tested elsewhere: 'tpu-v5p'`, false],
      [`/* gpu=tpu-v5p */ const x = 1;`, false],
      [`it('runs on a tpu-v5p pod', () => {});`, false],
      [`presets.h100.peak;`, false],
      [`const { h100 } = presets;`, false],
      [`type T = { h100: number };`, false],
      [`const g = kGpuPresets['tpu-v5p-ici'];`, false],
      [`parseQuery('gpu=tpu-v5px');`, false],
    ];
    for (const [src, want] of cases) {
      const s = said(src);
      expect(names(s, 'kGpuPresets', 'tpu-v5p') || names(s, 'kGpuPresets', 'h100'), src).toBe(want);
    }
  });

  it('reads the test files under test/unit and test/browser', () => {
    expect(kTestFiles.filter((f) => f.startsWith('test/unit/')).length).toBeGreaterThan(5);
    expect(kTestFiles.filter((f) => f.startsWith('test/browser/')).length).toBeGreaterThan(5);
  });
});

describe('every registry entry is named by a test', () => {
  it('every registry has entries, each with its own name', () => {
    for (const { registry, names } of kRegistries) {
      expect(names.length, registry).toBeGreaterThan(0);
      expect(new Set(names).size, `${registry} has a name twice`).toBe(names.length);
    }
  });

  const entries = kRegistries.flatMap(({ registry, file, names: n }) => n.map((name) => ({ registry, file, name })));
  it.each(entries)('$registry › $name', ({ registry, file, name }) => {
    const by = kSaid.filter((f) => names(f.said, registry, name)).map((f) => f.file);
    expect(
      by.length,
      `${registry} entry '${name}' (${file}) is named by no test: add a test under test/unit or test/browser that uses it ` +
        `('${name}' as a string, ${registry}.${name}, ${name} as an object key, or =${name} in a query or selector)`,
    ).toBeGreaterThan(0);
  });
});
