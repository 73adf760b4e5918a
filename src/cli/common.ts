// What the CLIs (bench, predict, calibrate) share: how they fail, read their options, take the query and write a
// trace.

import { writeFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseQuery, type Config } from '../config/params.ts';
import type { Result } from '../engine/result.ts';
import { toTrace } from '../engine/trace.ts';

/** Prints `wafer-bench: msg` on stderr and exits with `code`. */
export function fail(code: number, msg: string): never {
  process.stderr.write(`wafer-bench: ${msg}\n`);
  process.exit(code);
}

type Options = NonNullable<ParseArgsConfig['options']>;
const kHelp = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * The command line, read with `options` (and --help / -h) and positionals: an unknown or malformed option exits 2
 * with the usage, --help prints the usage and exits 0.
 */
export function readCli<O extends Options>(options: O, usage: string) {
  let a;
  try {
    a = parseArgs({ options: { ...options, ...kHelp }, allowPositionals: true });
  } catch (e) {
    fail(2, `${(e as Error).message.replace(/^Unknown option '(.*?)'.*$/s, 'unknown option $1')}\n${usage}`);
  }
  if ((a.values as { help?: boolean }).help) {
    process.stdout.write(usage + '\n');
    process.exit(0);
  }
  return a;
}

/**
 * The query (a leading `?` dropped) and its configuration; its notes go to stderr, and errors exit 2 naming each.
 * The `?` is dropped before parsing so that parseQuery's length limit counts the query alone.
 */
export function queryOrExit(raw: string | undefined): { query: string; config: Config } {
  const query = (raw ?? '').replace(/^\?/, '');
  const parsed = parseQuery(query);
  for (const n of parsed.notes) process.stderr.write(`note: ${n}\n`);
  if (parsed.errors.length) fail(2, `bad query:\n${parsed.errors.map((e) => `  ${e.message}`).join('\n')}`);
  return { query, config: parsed.config };
}

/** Writes the result as JSON to `path`, and says so on stderr. */
export async function writeResultJson(path: string, result: Result): Promise<void> {
  await writeFile(path, JSON.stringify(result, null, 2));
  process.stderr.write(`result JSON written to ${path}\n`);
}

/** Writes the result's timelines as Chrome Trace Event JSON to `path`, and says so on stderr. */
export async function writeTrace(path: string, result: Result): Promise<void> {
  await writeFile(path, JSON.stringify(toTrace(result)));
  process.stderr.write(`trace written to ${path} (Chrome Trace Event JSON: open it in https://ui.perfetto.dev)\n`);
}
