// `npm run predict -- [QUERY] [--json FILE] [--trace FILE]`: the target projection in Node — no browser, no GPU, any
// size. Prints the same tables as `bench`, led by target time, and writes the schema-2 result with `projection: true`
// and, with --trace, the target's timelines as Chrome Trace Event JSON.
// Exit status: 0 success, 2 bad arguments or a configuration that cannot be laid out.

import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseQuery } from '../config/params.ts';
import { toTrace } from '../engine/trace.ts';
import { predict } from '../model/predict.ts';
import { formatResult } from './tables.ts';

const kUsage = `usage: npm run predict -- [QUERY] [--json FILE] [--trace FILE]
  QUERY   the page's query string, e.g. "workload=gemm&m=16384&n=16384&k=16384&shards=64"
  --json  where to write the result JSON (default: none)
  --trace where to write the timelines as Chrome Trace Event JSON, for https://ui.perfetto.dev (default: none)`;

function fail(code: number, msg: string): never {
  process.stderr.write(`wafer-bench: ${msg}\n`);
  process.exit(code);
}

const kOptions = {
  json: { type: 'string' },
  trace: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

let args: ReturnType<typeof parseArgs<{ options: typeof kOptions; allowPositionals: true }>>;
try {
  args = parseArgs({ options: kOptions, allowPositionals: true });
} catch (e) {
  fail(2, `${(e as Error).message}\n${kUsage}`);
}
if (args.values.help) {
  process.stdout.write(kUsage + '\n');
  process.exit(0);
}
if (args.positionals.length > 1) fail(2, `only one QUERY may be given; got ${args.positionals.length}\n${kUsage}`);
const parsed = parseQuery((args.positionals[0] ?? '').replace(/^\?/, ''));
for (const n of parsed.notes) process.stderr.write(`note: ${n}\n`);
if (parsed.errors.length) fail(2, `bad query:\n${parsed.errors.map((e) => `  ${e.message}`).join('\n')}`);

const t0 = performance.now();
let result;
try {
  result = predict(parsed.config, `node ${process.version}`);
} catch (e) {
  fail((e as { config?: boolean }).config ? 2 : 1, (e as Error).message);
}
const ms = performance.now() - t0;
process.stdout.write(formatResult(result));
process.stderr.write(`projected in ${ms.toFixed(1)} ms\n`);
if (args.values.json) {
  await writeFile(args.values.json, JSON.stringify(result, null, 2));
  process.stderr.write(`result JSON written to ${args.values.json}\n`);
}
if (args.values.trace) {
  await writeFile(args.values.trace, JSON.stringify(toTrace(result)));
  process.stderr.write(`trace written to ${args.values.trace} (Chrome Trace Event JSON: open it in https://ui.perfetto.dev)\n`);
}
