// Property tests: thousands of random and hostile query strings and embed messages never throw, and always give a
// valid configuration (one that serializes and parses back to itself) plus a list of named errors.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kParamNames, parseQuery, toSearchParams } from '../../src/config/params.ts';
import { validateEmbedMessage } from '../../src/ui/embed.ts';

const hostileValue = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom(
    '<script>alert(1)</script>',
    '"><img src=x onerror=alert(1)>',
    'javascript:alert(1)',
    'NaN',
    'Infinity',
    '-0',
    '1e308',
    '-1',
    '0x10',
    '1.5',
    ' 12 ',
    '%00',
    '\u202e',
    '1'.repeat(400),
  ),
  fc.integer().map(String),
  fc.double().map(String),
);
const key = fc.oneof(
  fc.constantFrom(...kParamNames),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty'),
);
const query = fc
  .array(fc.tuple(key, hostileValue), { maxLength: 12 })
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));
const rawString = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('?', '&&&', '=%', '%E0%A4%A', 'm=%%', '#r=abc'));

function expectValid(parsed: ReturnType<typeof parseQuery>): void {
  const again = parseQuery(toSearchParams(parsed.config));
  expect(again.errors).toEqual([]);
  expect(again.config).toEqual(parsed.config);
  for (const e of parsed.errors) {
    expect(typeof e.param).toBe('string');
    expect(e.message.length).toBeGreaterThan(0);
  }
}

describe('the config parser under hostile input', () => {
  it('never throws and always returns a valid configuration (1,500 encoded queries)', () => {
    fc.assert(
      fc.property(query, (q) => {
        expectValid(parseQuery(q));
      }),
      { numRuns: 1500, seed: 7 },
    );
  });

  it('never throws on raw, malformed query text (1,000 strings)', () => {
    fc.assert(
      fc.property(rawString, (q) => {
        expectValid(parseQuery(q));
      }),
      { numRuns: 1000, seed: 8 },
    );
  });

  it('refuses a 100 kB query as a whole, by name', () => {
    const p = parseQuery('m=' + '9'.repeat(100_000));
    expect(p.errors[0]!.param).toBe('(query)');
    expect(p.config.m).toBe(1024);
  });

  it('embed messages: anything not shaped like ours is ignored; run queries are validated (1,000 messages)', () => {
    const message = fc.oneof(
      fc.anything(),
      fc.record(
        {
          source: fc.constantFrom('wafer-bench', 'other'),
          type: fc.constantFrom('run', 'ready', 'x'),
          query: fc.oneof(query, fc.anything()),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(
        message,
        fc.constantFrom('https://a.example', 'null'),
        fc.constantFrom(null, 'https://a.example'),
        (m, origin, allowed) => {
          const r = validateEmbedMessage(m, origin, allowed);
          if (r === null) return;
          expect(m).toMatchObject({ source: 'wafer-bench', type: 'run' });
          if (allowed) expect(origin).toBe(allowed);
          if (r.query !== undefined) expectValid(parseQuery(r.query));
          else expect(r.error).toMatch(/query/);
        },
      ),
      { numRuns: 1000, seed: 9 },
    );
  });
});
