/** Serves the dashboard's static export (apps/web/out) on the API's origin. */
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.sh': 'text/x-shellscript; charset=utf-8',
};

export function createStaticHandler(root: string | undefined) {
  const base = root ? path.resolve(root) : undefined;
  const candidates = (p: string) => (p.endsWith('/') ? [`${p}index.html`] : [p, `${p}.html`, `${p}/index.html`]);
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (!base || !fs.existsSync(base)) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('dashboard not built: run `npm run build`\n');
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    for (const c of candidates(pathname)) {
      const file = path.join(base, path.normalize(c));
      if (!file.startsWith(base + path.sep) && file !== base) break;
      if (fs.existsSync(file) && fs.statSync(file).isFile()) {
        const immutable = c.startsWith('/_next/static/');
        res.writeHead(200, {
          'content-type': types[path.extname(file)] ?? 'application/octet-stream',
          'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
          'x-content-type-options': 'nosniff',
        });
        fs.createReadStream(file).pipe(res);
        return;
      }
    }
    const notFound = path.join(base, '404.html');
    res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
    if (fs.existsSync(notFound)) fs.createReadStream(notFound).pipe(res);
    else res.end('not found\n');
  };
}
