// The static server behind `npm start`, `npm run bench` and the browser tests: on loopback, the isolation and
// cross-origin headers on every response, content types the browser checks (wasm, module scripts), index.html for a
// directory, no file outside the root, long query strings let through to the page, and a server that closes.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type Served } from '../../src/cli/serve.ts';

const kBase = mkdtempSync(join(tmpdir(), 'wafer-bench-serve-'));
const kRoot = join(kBase, 'dist');
const kFiles: Record<string, string> = {
  'index.html': '<!doctype html><title>root</title>',
  'sub/index.html': '<!doctype html><title>sub</title>',
  'kernel.wasm': '\0asm',
  'assets/main.js': 'export const x = 1;',
  'style.css': 'body{}',
  'favicon.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
  'shot.png': '\x89PNG',
  'data.json': '{"a":1}',
};

/** A raw request, so that `..` and encoded dots reach the server as sent (fetch would resolve them first). */
function raw(url: string, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('static server', () => {
  let isolated: Served;
  let plain: Served;

  beforeAll(async () => {
    for (const [name, text] of Object.entries(kFiles)) {
      mkdirSync(join(kRoot, name, '..'), { recursive: true });
      writeFileSync(join(kRoot, name), text, 'latin1');
    }
    // Beside the root, with a name the root is a prefix of: a naive prefix check would let it through.
    mkdirSync(join(kBase, 'dist-secret'));
    writeFileSync(join(kBase, 'dist-secret', 'key.txt'), 'secret');
    writeFileSync(join(kBase, 'outside.txt'), 'secret');
    isolated = await startServer({ root: kRoot, port: 0 });
    plain = await startServer({ root: kRoot, port: 0, isolate: false });
  });

  afterAll(async () => {
    await isolated?.close();
    await plain?.close();
    rmSync(kBase, { recursive: true, force: true });
  });

  it('listens on loopback at the port it was given (0: any free one)', () => {
    expect(isolated.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(isolated.url).not.toBe(plain.url);
  });

  it('sends COOP/COEP, CORS, CORP and no-cache on files; without COOP/COEP when isolate is false', async () => {
    const a = await fetch(isolated.url);
    expect(a.status).toBe(200);
    expect(a.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(a.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(a.headers.get('access-control-allow-origin')).toBe('*');
    expect(a.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(a.headers.get('cache-control')).toBe('no-cache');

    const b = await fetch(plain.url);
    expect(b.status).toBe(200);
    expect(b.headers.get('cross-origin-opener-policy')).toBeNull();
    expect(b.headers.get('cross-origin-embedder-policy')).toBeNull();
    expect(b.headers.get('access-control-allow-origin')).toBe('*');
    expect(b.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(b.headers.get('cache-control')).toBe('no-cache');
  });

  it('keeps the cross-origin headers on a 404 and on a 304', async () => {
    const missing = await fetch(`${isolated.url}nothing-here.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe('*');
    expect(missing.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(missing.headers.get('cross-origin-embedder-policy')).toBe('require-corp');

    const first = await fetch(`${isolated.url}assets/main.js`);
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await fetch(`${isolated.url}assets/main.js`, { headers: { 'If-None-Match': etag! } });
    expect(again.status).toBe(304);
    expect(again.headers.get('access-control-allow-origin')).toBe('*');
    expect(again.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(again.headers.get('cache-control')).toBe('no-cache');
  });

  it.each([
    ['kernel.wasm', 'application/wasm'],
    ['assets/main.js', 'text/javascript'],
    ['style.css', 'text/css'],
    ['favicon.svg', 'image/svg+xml'],
    ['shot.png', 'image/png'],
    ['data.json', 'application/json'],
    ['', 'text/html'],
  ])('serves /%s as %s', async (path, type) => {
    const r = await fetch(isolated.url + path);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')?.split(';')[0]).toBe(type);
    expect(Buffer.from(await r.arrayBuffer())).toEqual(Buffer.from(kFiles[path || 'index.html']!, 'latin1'));
  });

  it('serves index.html for a directory, with or without the slash', async () => {
    for (const path of ['sub/', 'sub']) {
      const r = await fetch(isolated.url + path);
      expect(r.status, path).toBe(200);
      expect(await r.text()).toContain('<title>sub</title>');
    }
  });

  it('answers HEAD with the headers and no body', async () => {
    const r = await raw(isolated.url, '/data.json', 'HEAD');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect(r.body).toBe('');
  });

  it.each(['/../outside.txt', '/%2e%2e/outside.txt', '/..%2foutside.txt', '/../dist-secret/key.txt', '/sub/../../outside.txt'])(
    'refuses %s, outside the root',
    async (path) => {
      const r = await raw(isolated.url, path);
      expect([403, 404]).toContain(r.status);
      expect(r.body).not.toContain('secret');
    },
  );

  it('lets a 20 kB query string through to the page (the page refuses it itself)', async () => {
    const r = await fetch(`${isolated.url}?m=${'9'.repeat(20_000)}`);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('<title>root</title>');
  });

  it('serves a file written after it started (a rebuild under a running server)', async () => {
    writeFileSync(join(kRoot, 'assets', 'later.js'), 'export const y = 2;');
    const r = await fetch(`${isolated.url}assets/later.js`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('export const y = 2;');
  });

  it('closes: the port stops answering', async () => {
    const s = await startServer({ root: kRoot, port: 0 });
    expect((await fetch(s.url)).status).toBe(200);
    await s.close();
    await expect(fetch(s.url)).rejects.toThrow();
  });
});
