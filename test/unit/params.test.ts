// The query codec: defaults, checked parsing with named errors, unknown parameters noted, short round trips.

import { describe, expect, it } from 'vitest';
import { defaultConfig, parseQuery, squarest, toSearchParams, tilesOf } from '../../src/config/params.ts';

describe('parseQuery', () => {
  it('gives the documented defaults for an empty query', () => {
    const { config, errors, notes } = parseQuery('');
    expect(errors).toEqual([]);
    expect(notes).toEqual([]);
    expect(config).toEqual(defaultConfig());
    expect(config).toMatchObject({
      mode: 'compare',
      workload: 'gemm',
      m: 1024,
      shards: 4,
      link: 'nvlink4',
      fabric: 'wse3',
      iters: 20,
      warmup: 3,
      minBytes: 1024,
      maxBytes: 67108864,
      factor: 4,
    });
    expect(tilesOf(config)).toEqual({ rows: 2, cols: 2 });
  });

  it('reads every kind of value', () => {
    const { config, errors } = parseQuery(
      '?mode=cluster&workload=mlp&tokens=64&shards=8&grid=2x4&tiles=4x2&verify=0&alpha=2.5&link=custom&gbps=100&tflops=50',
    );
    expect(errors).toEqual([]);
    expect(config).toMatchObject({
      mode: 'cluster',
      workload: 'mlp',
      tokens: 64,
      shards: 8,
      grid: { rows: 2, cols: 4 },
      tiles: { rows: 4, cols: 2 },
      verify: false,
      alpha: 2.5,
      gbps: 100,
      tflops: 50,
      link: 'custom',
    });
  });

  it.each([
    ['m=0', 'm', /integer from 1/],
    ['m=1e308', 'm', /integer/],
    ['m=NaN', 'm', /integer/],
    ['m=-5', 'm', /integer/],
    ['shards=5000', 'shards', /from 1 to 4096/],
    ['mode=fast', 'mode', /one of compare, wafer, cluster/],
    ['tiles=2by2', 'tiles', /RxC/],
    ['alpha=abc', 'alpha', /number/],
    ['verify=yes', 'verify', /1 or 0/],
    ['grid=3x3', 'grid', /does not have shards=4/],
    ['minBytes=4096&maxBytes=1024', 'minBytes', /larger than maxBytes/],
    ['link=custom', 'link', /needs alpha/],
  ])('%s is an error naming %s, and falls back to the default', (q, param, message) => {
    const { config, errors } = parseQuery(q);
    const e = errors.find((x) => x.param === param);
    expect(e?.message).toMatch(message);
    expect(config[param as 'm']).toEqual(defaultConfig()[param as 'm']);
  });

  it('notes unknown parameters and uses the first of repeated keys', () => {
    const { config, errors, notes } = parseQuery('foo=1&m=64&m=128');
    expect(notes[0]).toMatch(/unknown parameter "foo"/);
    expect(config.m).toBe(64);
    expect(errors[0]!.message).toMatch(/more than once/);
  });

  it('never puts raw markup into messages unquoted', () => {
    const { errors } = parseQuery('mode=<img src=x onerror=alert(1)>');
    expect(errors[0]!.message).toContain('"<img src=x onerror=alert(1)>"');
  });

  it('embed turns autorun on unless told otherwise', () => {
    expect(parseQuery('embed=1').config.autorun).toBe(true);
    expect(parseQuery('embed=1&autorun=0').config.autorun).toBe(false);
  });

  it('round-trips through toSearchParams, omitting defaults', () => {
    expect(toSearchParams(defaultConfig()).toString()).toBe('');
    const q = 'mode=wafer&m=512&tiles=1x1&collective=rhd&seed=7';
    const { config } = parseQuery(q);
    const out = toSearchParams(config);
    expect(Object.fromEntries(out)).toEqual(Object.fromEntries(new URLSearchParams(q)));
    expect(parseQuery(out.toString()).config).toEqual(config);
  });

  it('squarest picks R ≤ C with R·C = units', () => {
    expect(squarest(1)).toEqual({ rows: 1, cols: 1 });
    expect(squarest(4)).toEqual({ rows: 2, cols: 2 });
    expect(squarest(8)).toEqual({ rows: 2, cols: 4 });
    expect(squarest(7)).toEqual({ rows: 1, cols: 7 });
    expect(squarest(16)).toEqual({ rows: 4, cols: 4 });
  });
});
