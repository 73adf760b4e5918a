// `npm run calibrate -- FILE... [--json FILE] [--inplace] [--joint]`: reads nccl-tests / rccl-tests logs, fits the
// custom link to each series and prints the link, the query that carries it into the model and measured vs model
// time per size. Exit status: 0 success; 2 bad arguments, a file or line that cannot be read, or nothing to fit.

import { readFile, stat, writeFile } from 'node:fs/promises';
import { runCalibrate, type CalibrateFile } from '../calibrate/index.ts';
import { kMaxInputChars } from '../calibrate/parse.ts';
import { fail, readCli } from './common.ts';

const kUsage = `usage: npm run calibrate -- FILE... [--json FILE] [--inplace] [--joint]
  FILE       stdout of all_reduce_perf, all_gather_perf, reduce_scatter_perf or broadcast_perf (nccl-tests, rccl-tests)
  --json     where to write the fit, the query and the points as JSON (an array for several series)
  --inplace  fit the in-place times (default: out-of-place)
  --joint    fit one link to all series together (base and alpha separate when collectives or rank counts differ)`;

const args = readCli({ json: { type: 'string' }, inplace: { type: 'boolean' }, joint: { type: 'boolean' } }, kUsage);
if (!args.positionals.length) fail(2, `no FILE given\n${kUsage}`);

const files: CalibrateFile[] = [];
for (const name of args.positionals) {
  try {
    // Checked before reading: a log is kilobytes, and the parser refuses more than 10 MiB anyway.
    const st = await stat(name);
    if (!st.isFile()) fail(2, `${name}: not a file`);
    if (st.size > kMaxInputChars) fail(2, `${name}: ${st.size} bytes; at most ${kMaxInputChars} (10 MiB) are read`);
    files.push({ name, text: await readFile(name, 'utf8') });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(2, `${name}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
}

const out = runCalibrate(files, { inplace: args.values.inplace, joint: args.values.joint });
process.stdout.write(out.stdout);
process.stderr.write(out.stderr);
if (out.code === 0 && args.values.json) {
  await writeFile(args.values.json, JSON.stringify(out.json, null, 2) + '\n');
  process.stderr.write(`fit JSON written to ${args.values.json}\n`);
}
process.exit(out.code);
