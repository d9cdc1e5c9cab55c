/**
 * Authentication at the HTTP edge (dashboard and tRPC over HTTP/WebSocket).
 * The control socket never passes through here: it is trusted by file mode.
 *
 *   /healthz, /auth/*, sign-in pages and static assets ── public
 *   /install.sh, /install/* (node installer: nothing secret) ── public
 *   /trpc (HTTP and WebSocket)                          ── session cookie or API token
 *   other pages                                         ── redirect to /signin
 *
 * Cookie-authenticated writes and every WebSocket upgrade must come from our
 * own origin (CSRF / cross-site WebSocket hijacking). Sign-in and setup are
 * rate limited per client address.
 */
import type http from 'node:http';
import type { Logger } from '../lib/log.js';
import { createRateLimiter } from '../lib/rate-limit.js';
import type { Store } from '../store/store.js';
import { parseCookies } from './crypto.js';
import { type Principal, SESSION_TTL_MS, authenticate, completeSetup, hasUsers, login, sessionCookieValue } from './service.js';

export const SESSION_COOKIE = 'swarm_session';
const PUBLIC_PAGES = new Set(['/signin', '/signin/', '/signin.html', '/setup', '/setup/', '/setup.html', '/favicon.ico', '/404', '/404.html']);
const isInstaller = (p: string) => p === '/install.sh' || p.startsWith('/install/');
const isAsset = (p: string) => p.startsWith('/_next/') || /\.(js|css|png|svg|ico|woff2?|txt|json|map)$/.test(p);

export interface AuthGate {
  /** Handles /auth/* routes. */
  route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;
  principal(req: http.IncomingMessage): Principal | undefined;
  /** Why a request may not proceed, or undefined if it may. */
  check(req: http.IncomingMessage, kind: 'api' | 'page' | 'upgrade'): { status: number; message: string; location?: string } | undefined;
}

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}) =>
  void res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));

async function readJson(req: http.IncomingMessage, limit = 16 * 1024): Promise<unknown> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new Error('content-type must be application/json');
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(c as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

export function createAuthGate(opts: { store: Store; secure: boolean; log: Logger }): AuthGate {
  const { store, log } = opts;
  const limiter = createRateLimiter({ burst: 10, perMinute: 10 });
  const ip = (req: http.IncomingMessage) => req.socket.remoteAddress ?? 'unknown';
  const cookie = (value: string, maxAge: number) =>
    `${SESSION_COOKIE}=${encodeURIComponent(value)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${opts.secure ? '; Secure' : ''}`;
  const sameOrigin = (req: http.IncomingMessage) => {
    const origin = req.headers.origin;
    if (!origin) return true; // non-browser clients (no ambient cookies to abuse without an Origin... see below)
    return origin === `${opts.secure ? 'https' : 'http'}://${req.headers.host}`;
  };
  /** Another manager's dashboard: its open pages move their live stream here when that manager dies. */
  const managerOrigin = (req: http.IncomingMessage) => {
    const origin = req.headers.origin;
    return !!origin && store.view((tx) => tx.list('nodes').some((n) => n.managerStatus && n.dashboard === origin));
  };

  const principal = (req: http.IncomingMessage) => {
    const auth = req.headers.authorization;
    const bearer = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    return authenticate(store, { cookie: parseCookies(req.headers.cookie).get(SESSION_COOKIE), bearer });
  };

  const signIn = async (req: http.IncomingMessage, res: http.ServerResponse, setup: boolean) => {
    if (!limiter.take(ip(req))) return json(res, 429, { error: 'too many attempts; wait a minute and try again' });
    let body: Record<string, unknown>;
    try {
      body = (await readJson(req)) as Record<string, unknown>;
    } catch (e) {
      return json(res, 400, { error: (e as Error).message });
    }
    const r = setup ? await completeSetup(store, String(body['token'] ?? ''), body) : await login(store, body);
    if (!r.ok) {
      log.warn(`${setup ? 'setup' : 'sign-in'} refused for ${ip(req)}: ${r.error}`);
      return json(res, setup ? 400 : 401, { error: r.error });
    }
    log.info(`${r.value.user} signed in from ${ip(req)}`);
    json(res, 200, { user: r.value.user }, { 'set-cookie': cookie(sessionCookieValue(store, r.value), SESSION_TTL_MS / 1000) });
  };

  return {
    principal,
    async route(req, res) {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (req.method === 'GET' && path === '/auth/status') {
        const p = principal(req);
        return json(res, 200, { authenticated: !!p, user: p?.name, setupRequired: !hasUsers(store) });
      }
      if (req.method !== 'POST') return json(res, 405, { error: 'method not allowed' });
      if (!sameOrigin(req)) return json(res, 403, { error: 'cross-origin request refused' });
      if (path === '/auth/login') return signIn(req, res, false);
      if (path === '/auth/setup') return signIn(req, res, true);
      if (path === '/auth/logout') return json(res, 200, {}, { 'set-cookie': cookie('', 0) });
      json(res, 404, { error: 'not found' });
    },
    check(req, kind) {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (kind === 'page' && (PUBLIC_PAGES.has(path) || isAsset(path) || isInstaller(path))) return undefined;
      const p = principal(req);
      if (!p) {
        if (kind === 'page') return { status: 302, message: 'sign in first', location: `/signin?next=${encodeURIComponent(req.url ?? '/')}` };
        return { status: 401, message: 'authentication required: sign in, or send "Authorization: Bearer <API token>"' };
      }
      // Cookies ride along on cross-site requests; a foreign Origin never gets to use them.
      const usesCookie = p.kind === 'user';
      if (kind === 'upgrade' && !sameOrigin(req) && !managerOrigin(req)) return { status: 403, message: 'cross-origin request refused' };
      if (kind !== 'upgrade' && usesCookie && req.method !== 'GET' && !sameOrigin(req)) return { status: 403, message: 'cross-origin request refused' };
      return undefined;
    },
  };
}
