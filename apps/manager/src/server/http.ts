/**
 * One HTTP server per listener: tRPC over HTTP at /trpc, tRPC subscriptions
 * over WebSocket at /trpc, /healthz, and the dashboard's static files.
 * The same handler serves the unix control socket (trusted by file mode).
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import { appRouter } from '../api/root.js';
import { type ApiContext, type Caller, STALE_READ_HEADER } from '../api/trpc.js';
import type { AuthGate } from '../auth/http.js';
import { advertise, issuedBy } from '../install/commands.js';
import { createInstallHandler, isInstallPath } from './install.js';
import { closeWithin } from '../lib/close.js';
import { createStaticHandler } from './static.js';
import { createFastTrpcHandler } from './trpc-fast.js';

/** How long `close` lets responses in flight finish before cutting their connections. */
const CLOSE_GRACE_MS = 1000;

export interface ApiServer {
  /** Where it listens: "host:port" or a socket path. */
  address: string;
  close(): Promise<void>;
}

export type Listen = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export interface ApiServerOptions {
  listen: Listen;
  context: (caller: Caller, opts?: { staleRead?: boolean }) => ApiContext;
  webDir?: string | undefined;
  /** Authentication for network listeners; absent on the control socket (trusted by file mode). */
  auth?: AuthGate | undefined;
  /** Serve HTTPS with this certificate. */
  tls?: { certPem: string; keyPem: string } | undefined;
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const { auth } = opts;
  const callerOf = (req: http.IncomingMessage): Caller => {
    if (!auth) return { kind: 'socket' };
    return auth.principal(req) ?? { kind: 'anonymous' };
  };
  const createContext = ({ req }: { req: http.IncomingMessage }) => opts.context(callerOf(req), { staleRead: req.headers[STALE_READ_HEADER] === '1' });
  const trpc = createHTTPHandler({ router: appRouter, createContext, basePath: '/trpc/' });
  // Single queries and mutations skip the fetch-API translation; the rest is tRPC's (trpc-fast.ts).
  const fast = createFastTrpcHandler({ router: appRouter, basePath: '/trpc/', createContext: (req) => createContext({ req }) });
  const statics = createStaticHandler(opts.webDir);
  const install = createInstallHandler({ context: opts.context, webDir: opts.webDir, scheme: opts.tls ? 'https' : 'http' });
  const refuse = (res: http.ServerResponse, r: { status: number; message: string; location?: string }) =>
    void res.writeHead(r.status, r.location ? { location: r.location } : { 'content-type': 'application/json' }).end(r.location ? '' : JSON.stringify({ error: r.message }));
  /** Refusals on /trpc in tRPC's own error shape, so clients show the message. */
  const refuseTrpc = (res: http.ServerResponse, r: { status: number; message: string }) => {
    const code = r.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN';
    const body = { error: { message: r.message, code: r.status === 401 ? -32001 : -32003, data: { code, httpStatus: r.status } } };
    res.writeHead(r.status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = req.url ?? '/';
    res.setHeader('x-frame-options', 'DENY');
    if (url === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (auth && url.startsWith('/auth/')) return void auth.route(req, res).catch(() => res.writeHead(500).end());
    if (url.startsWith('/trpc/')) {
      const no = auth?.check(req, 'api');
      if (no) return refuseTrpc(res, no);
      return fast(req, res) ? undefined : void trpc(req, res);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
    const no = auth?.check(req, 'page');
    return no ? refuse(res, no) : isInstallPath(url) ? install(req, res) : statics(req, res);
  };
  const server = opts.tls ? https.createServer({ cert: opts.tls.certPem, key: opts.tls.keyPem }, handler) : http.createServer(handler);
  server.keepAliveTimeout = 5_000;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  const wsHandler = applyWSSHandler({
    wss,
    router: appRouter,
    createContext,
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
  });
  server.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith('/trpc')) return void socket.destroy();
    const no = auth?.check(req, 'upgrade');
    if (no) return void socket.end(`HTTP/1.1 ${no.status} ${no.status === 401 ? 'Unauthorized' : 'Forbidden'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const { listen } = opts;
  if (listen.kind === 'unix' && fs.existsSync(listen.path)) fs.rmSync(listen.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (listen.kind === 'tcp') server.listen(listen.port, listen.host, resolve);
    else server.listen(listen.path, resolve);
  });
  let address: string;
  if (listen.kind === 'unix') {
    fs.chmodSync(listen.path, 0o600);
    address = listen.path;
  } else {
    const a = server.address();
    address = typeof a === 'object' && a ? `${listen.host}:${a.port}` : `${listen.host}:${listen.port}`;
    const { store } = opts.context({ kind: 'socket' });
    const ca = store.view((tx) => tx.list('clusters')[0])?.rootCa?.caCert;
    const host = /^(0\.0\.0\.0|::)$/.test(listen.host) ? '127.0.0.1' : listen.host.includes(':') ? `[${listen.host}]` : listen.host;
    advertise(store, { url: `${opts.tls ? 'https' : 'http'}://${host}:${typeof a === 'object' && a ? a.port : listen.port}`, clusterCaTls: !!opts.tls && !!ca && issuedBy(opts.tls.certPem, ca) });
  }
  return {
    address,
    close: () => {
      wsHandler.broadcastReconnectNotification();
      for (const c of wss.clients) c.terminate();
      wss.close();
      // Responses in flight (a static chunk, a page prefetch) finish; idle keep-alive connections close now.
      // Whatever still runs after CLOSE_GRACE_MS is cut, so a hung request cannot hold the shutdown.
      const closed = closeWithin(CLOSE_GRACE_MS, (done) => server.close(() => done()), () => server.closeAllConnections());
      server.closeIdleConnections();
      if (listen.kind === 'unix') fs.rmSync(listen.path, { force: true });
      return closed;
    },
  };
}

/** Parses "host:port" (or "[::1]:port", or ":port"). */
export function parseHostPort(s: string, defaultPort: number): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d+))?$/.exec(s.trim());
  if (!m) throw new Error(`invalid address "${s}": expected host:port`);
  const host = m[1] ?? (m[2] || '0.0.0.0');
  const port = m[3] ? Number(m[3]) : defaultPort;
  if (!(port >= 0 && port < 65536)) throw new Error(`invalid port in "${s}"`);
  return { host, port };
}
