/**
 * Authentication at the HTTP edge, end to end against a real API server:
 * setup link, sign-in, cookies, CSRF/origin checks, WebSocket upgrades, API
 * tokens, rate limiting, and no secret ever leaving through the API.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ensureCluster } from '../bootstrap.js';
import { silentLogger } from '../lib/log.js';
import { type ApiServer, startApiServer } from '../server/http.js';
import { createStore } from '../store/store.js';
import type { Caller } from '../api/trpc.js';
import { createAuthGate } from './http.js';
import { beginSetup } from './service.js';

describe('HTTP authentication', () => {
  const store = createStore();
  let server: ApiServer;
  let socketServer: ApiServer;
  let base: string;
  let setupToken: string;
  let cookie = '';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auth-test-'));
  const context = (caller: Caller) => ({ caller, store, self: { nodeId: 'n1', version: 'test' }, config: { minCertExpiryMs: 3_600_000 } });
  const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(base + p, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), redirect: 'manual' });

  beforeAll(async () => {
    const c = await ensureCluster(store);
    if (!c.ok) throw new Error(c.error);
    const auth = createAuthGate({ store, secure: false, log: silentLogger });
    server = await startApiServer({ listen: { kind: 'tcp', host: '127.0.0.1', port: 0 }, context, auth });
    socketServer = await startApiServer({ listen: { kind: 'unix', path: path.join(dir, 's.sock') }, context });
    base = `http://${server.address}`;
    setupToken = (await beginSetup(store))!;
  });
  afterAll(async () => {
    await server?.close();
    await socketServer?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends unauthenticated visitors to sign-in and refuses the API', async () => {
    const page = await fetch(`${base}/services`, { redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/signin?next=%2Fservices');
    expect((await fetch(`${base}/trpc/node.list`)).status).toBe(401);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const status = await (await fetch(`${base}/auth/status`)).json();
    expect(status).toEqual({ authenticated: false, setupRequired: true });
  });

  it('creates the first admin only through the one-time setup link', async () => {
    let r = await post('/auth/setup', { token: 'wrong', username: 'admin', password: 'correct horse battery' });
    expect(r.status).toBe(400);
    expect((await r.json()).error).toMatch(/invalid or expired/);
    r = await post('/auth/setup', { token: setupToken, username: 'admin', password: 'short' });
    expect((await r.json()).error).toMatch(/password: password must be at least 10 characters/);
    r = await post('/auth/setup', { token: setupToken, username: 'admin', password: 'correct horse battery' });
    expect(r.status).toBe(200);
    const set = r.headers.get('set-cookie')!;
    expect(set).toMatch(/^swarm_session=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
    cookie = set.split(';')[0]!;
    r = await post('/auth/setup', { token: setupToken, username: 'again', password: 'correct horse battery' });
    expect((await r.json()).error).toMatch(/already complete/);
    expect(await beginSetup(store)).toBeUndefined();
  });

  it('lets a signed-in user use the API from the same origin only', async () => {
    const ok = await fetch(`${base}/trpc/auth.me`, { headers: { cookie } });
    expect((await ok.json()).result.data).toEqual({ kind: 'user', name: 'admin' });
    const cross = await post('/trpc/auth.createToken', { name: 'x' }, { cookie, origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
    const tampered = cookie.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A'));
    expect((await fetch(`${base}/trpc/auth.me`, { headers: { cookie: tampered } })).status).toBe(401);
  });

  it('checks origin and credentials on WebSocket upgrades', async () => {
    const attempt = (headers: Record<string, string>) =>
      new Promise<number | 'open'>((resolve) => {
        const ws = new WebSocket(`ws://${server.address}/trpc`, { headers });
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => {});
      });
    expect(await attempt({ origin: base })).toBe(401);
    expect(await attempt({ origin: 'https://evil.example', cookie })).toBe(403);
    expect(await attempt({ origin: base, cookie })).toBe('open');
  });

  it('signs in with a password, refuses wrong ones, and rate-limits guessing', async () => {
    const good = await post('/auth/login', { username: 'admin', password: 'correct horse battery' });
    expect(good.status).toBe(200);
    const bad = await post('/auth/login', { username: 'admin', password: 'wrong password!!' });
    expect(bad.status).toBe(401);
    expect((await bad.json()).error).toBe('wrong username or password');
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await post('/auth/login', { username: 'admin', password: 'wrong password!!' })).status);
    expect(statuses).toContain(429);
  });

  it('serves scripts with API tokens made by people, and revokes them', async () => {
    const sock = path.join(dir, 's.sock');
    const viaSocket = async (proc: string, input: unknown) => {
      const { Agent, fetch: f } = await import('undici');
      const r = await f(`http://x/trpc/${proc}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input), dispatcher: new Agent({ connect: { socketPath: sock } }) });
      return ((await r.json()) as { result: { data: { id: string; token: string } } }).result.data;
    };
    const { id, token } = await viaSocket('auth.createToken', { name: 'ci' });
    expect(token).toMatch(/^swt_[0-9a-f]{12}\./);
    const bearer = { authorization: `Bearer ${token}` };
    expect((await fetch(`${base}/trpc/node.list`, { headers: bearer })).status).toBe(200);
    const mint = await post('/trpc/auth.createToken', { name: 'nested' }, bearer);
    expect(mint.status).toBe(403);
    await viaSocket('auth.revokeToken', { id });
    expect((await fetch(`${base}/trpc/node.list`, { headers: bearer })).status).toBe(401);
  });

  it('never returns the CA key or credential hashes', async () => {
    const r = await fetch(`${base}/trpc/cluster.inspect`, { headers: { cookie } });
    const text = await r.text();
    expect(r.status).toBe(200);
    expect(text).not.toMatch(/PRIVATE KEY|sessionKey|passwordHash|scrypt\$/);
    expect(JSON.parse(text).result.data.rootCa.joinTokens.worker).toMatch(/^SWMTKN-1-/);
  });
});
