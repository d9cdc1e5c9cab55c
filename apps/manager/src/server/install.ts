/**
 * The node installer, served by every manager without sign-in (nothing here
 * is secret):
 *
 *   /install.sh               the script, with this manager's URL and remote API address baked in
 *   /install/ca.crt           the cluster root CA (the script pins it by the join token's digest)
 *   /install/SHA256SUMS       sha256 of every file below
 *   /install/SHA256SUMS.sig   base64 ECDSA signature of SIGNED_PREFIX + SHA256SUMS by the root CA key
 *   /install/swarm-<v>.tgz    the node bundle (built by `npm run build`: apps/manager/scripts/bundle.mjs)
 *   /install/swarm-web-<v>.tgz  the dashboard's static files (managers), packed from --web-dir on first use
 *
 * The script checks the signature against the pinned CA, then each download
 * against SHA256SUMS, so the transport need not be trusted.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import type { ApiContext, Caller } from '../api/trpc.js';
import { joinAddrFor, remoteApiOf } from '../install/commands.js';
import { VERSION } from '../version.js';

/** Domain separation: the CA key signs this prefix + SHA256SUMS, nothing that could pass for a certificate. */
export const SIGNED_PREFIX = 'swarm-install-sha256sums-v1\n';
/**
 * Whether this version's CA admits managers (replicated managers, issue 5).
 * Baked into the script so a version without them stops `--manager` before
 * writing anything instead of installing a node that cannot join.
 */
export const MANAGER_JOIN_SUPPORTED = true;
export const BUNDLE_NAME = `swarm-${VERSION}.tgz`;
export const WEB_BUNDLE_NAME = `swarm-web-${VERSION}.tgz`;

export const isInstallPath = (url: string): boolean => {
  const p = url.split('?')[0] ?? '';
  return p === '/install.sh' || p.startsWith('/install/');
};

/**
 * Where install.sh and the bundle live: $SWARM_INSTALL_DIR, or `installer/` next
 * to the bundled swarmd.mjs (an installed manager), or dist/installer (a build).
 */
export function installAssetsDir(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [process.env['SWARM_INSTALL_DIR'], path.join(here, 'installer'), path.resolve(here, '../installer')];
  return candidates.find((d): d is string => !!d && fs.existsSync(path.join(d, 'install.sh')));
}

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

/** A value baked into the script between single quotes: no quotes, no newlines, no backslashes. */
const bakeable = (s: string) => /^[A-Za-z0-9_@%+=:,./\[\]-]*$/.test(s);

/** Deterministic tar.gz of a directory (GNU tar sorted, fixed times/owners; gzip header without time), off the event loop. */
function packDir(dir: string): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const tar = spawn('tar', ['-C', dir, '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    tar.stdout.on('data', (c: Buffer) => chunks.push(c));
    tar.on('error', () => resolve(undefined));
    tar.on('close', (code) => {
      if (code !== 0) return resolve(undefined);
      zlib.gzip(Buffer.concat(chunks), { level: 9 }, (e, gz) => resolve(e ? undefined : gz));
    });
  });
}

export interface InstallHandlerOptions {
  context: (caller: Caller) => ApiContext;
  webDir?: string | undefined;
  scheme: 'http' | 'https';
  assetsDir?: string | undefined;
}

export function createInstallHandler(opts: InstallHandlerOptions) {
  const ctx = () => opts.context({ kind: 'socket' });
  const assets = opts.assetsDir ?? installAssetsDir();
  let bundle: { mtimeMs: number; size: number; sha: string } | undefined;
  let web: Promise<{ buf: Buffer; sha: string } | undefined> | undefined;

  const bundleFile = () => (assets ? path.join(assets, BUNDLE_NAME) : undefined);
  const bundleSha = (): string | undefined => {
    const f = bundleFile();
    if (!f || !fs.existsSync(f)) return undefined;
    const st = fs.statSync(f);
    if (!bundle || bundle.mtimeMs !== st.mtimeMs || bundle.size !== st.size) bundle = { mtimeMs: st.mtimeMs, size: st.size, sha: sha256(fs.readFileSync(f)) };
    return bundle.sha;
  };
  /** The dashboard's files, packed once per process on first use. */
  const webBundle = () => {
    web ??= (async () => {
      const dir = opts.webDir && fs.existsSync(path.join(opts.webDir, 'index.html')) ? opts.webDir : undefined;
      const buf = dir ? await packDir(dir) : undefined;
      return buf ? { buf, sha: sha256(buf) } : undefined;
    })();
    return web;
  };
  const rootCa = () => ctx().store.view((tx) => tx.list('clusters')[0])?.rootCa;
  const sums = async () => {
    const lines: string[] = [];
    const b = bundleSha();
    if (b) lines.push(`${b}  ${BUNDLE_NAME}`);
    const w = await webBundle();
    if (w) lines.push(`${w.sha}  ${WEB_BUNDLE_NAME}`);
    return lines.map((l) => `${l}\n`).join('');
  };

  const send = (res: http.ServerResponse, req: http.IncomingMessage, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const text = (res: http.ServerResponse, req: http.IncomingMessage, status: number, body: string) => send(res, req, status, 'text/plain; charset=utf-8', body);

  const script = (req: http.IncomingMessage): { ok: true; body: string } | { ok: false; error: string } => {
    if (!assets) return { ok: false, error: 'installer not built: run `npm run build`' };
    const host = req.headers.host ?? '';
    if (!/^[A-Za-z0-9.\-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$/.test(host)) return { ok: false, error: 'bad Host header' };
    const c = ctx();
    const remote = remoteApiOf(c.store, c.self.nodeId);
    const joinAddr = remote ? joinAddrFor(remote, host) : '';
    const url = `${opts.scheme}://${host}`;
    if (![url, joinAddr, VERSION].every(bakeable)) return { ok: false, error: 'cannot bake these addresses into the script' };
    const template = fs.readFileSync(path.join(assets, 'install.sh'), 'utf8');
    return {
      ok: true,
      body: template.replace(/@@SWARM_URL@@/g, url).replace(/@@SWARM_JOIN_ADDR@@/g, joinAddr).replace(/@@SWARM_VERSION@@/g, VERSION)
        .replace(/@@SWARM_MANAGER_JOIN@@/g, MANAGER_JOIN_SUPPORTED ? 'yes' : 'no'),
    };
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    switch (p) {
      case '/install.sh': {
        const s = script(req);
        return s.ok ? send(res, req, 200, 'text/x-shellscript; charset=utf-8', s.body) : text(res, req, 503, `echo 'swarm installer: ${s.error}' >&2; exit 1\n`);
      }
      case '/install/ca.crt': {
        const ca = rootCa();
        return ca ? send(res, req, 200, 'application/x-pem-file', ca.caCert) : text(res, req, 503, 'no cluster CA yet\n');
      }
      case '/install/SHA256SUMS':
        return text(res, req, 200, await sums());
      case '/install/SHA256SUMS.sig': {
        const ca = rootCa();
        if (!ca?.caKey) return text(res, req, 503, 'this manager holds no CA key\n');
        const sig = crypto.sign('sha256', Buffer.from(SIGNED_PREFIX + (await sums())), ca.caKey);
        return text(res, req, 200, `${sig.toString('base64')}\n`);
      }
      case `/install/${BUNDLE_NAME}`: {
        const f = bundleFile();
        if (!f || !fs.existsSync(f)) return text(res, req, 404, 'bundle not built: run `npm run build`\n');
        const st = fs.statSync(f);
        res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': st.size, 'cache-control': 'no-store' });
        if (req.method === 'HEAD') return void res.end();
        return void fs.createReadStream(f).pipe(res);
      }
      case `/install/${WEB_BUNDLE_NAME}`: {
        const w = await webBundle();
        return w ? send(res, req, 200, 'application/gzip', w.buf) : text(res, req, 404, 'this manager serves no dashboard files\n');
      }
      default:
        return text(res, req, 404, 'not found\n');
    }
  };

  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
    handle(req, res).catch((e: Error) => {
      if (!res.headersSent) text(res, req, 500, `installer error: ${e.message}\n`);
      else res.destroy();
    });
  };
}
