// `npm run predict -- [QUERY] [--json FILE] [--trace FILE]`: the target projection in Node — no browser, no GPU, any
// size. Prints the same tables as `bench`, led by target time, and writes the schema-2 result with `projection: true`
// and, with --trace, the target's timelines as Chrome Trace Event JSON.
// Exit status: 0 success, 2 bad arguments or a configuration that cannot be laid out.

import { ConfigError } from '../config/errors.ts';
import { predict } from '../model/predict.ts';
import { fail, queryOrExit, readCli, writeResultJson, writeTrace } from './common.ts';
import { formatResult } from './tables.ts';

const kUsage = `usage: npm run predict -- [QUERY] [--json FILE] [--trace FILE]
  QUERY   the page's query string, e.g. "workload=gemm&m=16384&n=16384&k=16384&shards=64"
  --json  where to write the result JSON (default: none)
  --trace where to write the timelines as Chrome Trace Event JSON, for https://ui.perfetto.dev (default: none)`;

const args = readCli({ json: { type: 'string' }, trace: { type: 'string' } }, kUsage);
if (args.positionals.length > 1) fail(2, `only one QUERY may be given; got ${args.positionals.length}\n${kUsage}`);
const { config } = queryOrExit(args.positionals[0]);

const t0 = performance.now();
let result;
try {
  result = predict(config, `node ${process.version}`);
} catch (e) {
  fail(e instanceof ConfigError ? 2 : 1, (e as Error).message);
}
const ms = performance.now() - t0;
process.stdout.write(formatResult(result));
process.stderr.write(`projected in ${ms.toFixed(1)} ms\n`);
if (args.values.json) await writeResultJson(args.values.json, result);
if (args.values.trace) await writeTrace(args.values.trace, result);
