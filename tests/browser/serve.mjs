// A minimal static file server for a built page on 127.0.0.1 (the tests' own; `./x serve` uses trunk): as
// a static host would serve it, under a folder of the origin if asked, with the page's
// Content-Security-Policy as a header. `server.root` may be pointed at another build while it runs (a
// deploy), and `server.alter` may damage what it sends.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.bpk': 'application/octet-stream',
};

// As the page's meta tag, plus what only a header can say (no framing by other sites).
export const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Serves folder `root` at `base` (a path ending in '/'); `server.url` is the page's address.
export function serve(root, { base = '/' } = {}) {
  const server = createServer(async (req, res) => {
    const pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (!pathname.startsWith(base)) {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    const path = normalize(pathname.slice(base.length - 1)).replace(/^(\.\.[/\\])+/, '');
    const file = join(server.root, path.endsWith('/') ? path + 'index.html' : path);
    try {
      const body = server.alter(path, await readFile(file));
      res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream', 'content-security-policy': CSP });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end('not found');
    }
  });
  server.root = root;
  server.alter = (path, body) => body; // what a broken host does to a file (the tests' damaged downloads)
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      server.url = `http://127.0.0.1:${server.address().port}${base}`;
      resolve(server);
    }),
  );
}
