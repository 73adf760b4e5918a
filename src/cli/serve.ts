// A small static server for the built app on loopback, with the COOP/COEP headers that make the page
// cross-origin isolated (or without them, to test hosting as on a plain static host). Files are served by sirv:
// content types, index.html for a directory, ranges, ETags and the refusal of paths outside the root are its own.

import { createServer } from 'node:http';
import sirv from 'sirv';

export interface ServeOptions {
  root: string;
  port: number;
  /** Send COOP/COEP (default true). */
  isolate?: boolean;
}

export interface Served {
  url: string;
  close(): Promise<void>;
}

export function startServer(o: ServeOptions): Promise<Served> {
  const host = '127.0.0.1';
  // dev: each request looks at the disk, so a rebuild under a running server is served (no file list taken at start).
  // etag: with no-cache, the browser revalidates every file and gets a 304 when it has not changed.
  const files = sirv(o.root, { dev: true, etag: true });
  // Long query strings (a shared link, a hostile one) must reach the page, which refuses them with a message.
  const server = createServer({ maxHeaderSize: 256 * 1024 }, (req, res) => {
    // Set before sirv writes, so they go out on every response: files, 304s and 404s alike.
    res.setHeader('Cache-Control', 'no-cache');
    // Public static files: the custom element's module is imported from other origins (module scripts need CORS).
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    if (o.isolate !== false) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    files(req, res, () => {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found');
    });
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(o.port, host, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : o.port;
      resolvePromise({ url: `http://${host}:${port}/`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
