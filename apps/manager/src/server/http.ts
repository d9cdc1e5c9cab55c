/**
 * One HTTP server per listener: tRPC over HTTP at /trpc, tRPC subscriptions
 * over WebSocket at /trpc, /healthz, and the dashboard's static files.
 * The same handler serves the unix control socket (trusted by file mode).
 */
import fs from 'node:fs';
import http from 'node:http';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import { appRouter } from '../api/root.js';
import type { ApiContext } from '../api/trpc.js';
import { createStaticHandler } from './static.js';

export interface ApiServer {
  /** Where it listens: "host:port" or a socket path. */
  address: string;
  close(): Promise<void>;
}

export type Listen = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export async function startApiServer(opts: { listen: Listen; context: () => ApiContext; webDir?: string | undefined }): Promise<ApiServer> {
  const trpc = createHTTPHandler({ router: appRouter, createContext: opts.context, basePath: '/trpc/' });
  const statics = createStaticHandler(opts.webDir);
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (url.startsWith('/trpc/')) return void trpc(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
    statics(req, res);
  });
  server.keepAliveTimeout = 5_000;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  const wsHandler = applyWSSHandler({
    wss,
    router: appRouter,
    createContext: opts.context,
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
  });
  server.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith('/trpc')) return void socket.destroy();
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
  }
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        wsHandler.broadcastReconnectNotification();
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
        if (listen.kind === 'unix') fs.rmSync(listen.path, { force: true });
      }),
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
