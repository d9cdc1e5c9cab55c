/**
 * Dashboard and HTTP API credentials, kept in the cluster object (hashes
 * only) so every manager can check every session:
 *  - the first admin is created through a one-time setup link printed at start;
 *  - users sign in with a password and get a signed session cookie;
 *  - scripts use API tokens (`Authorization: Bearer swt_...`).
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { type Cluster, type Result, err, formatZodError, ok } from '@swarm/shared';
import type { Store } from '../store/store.js';
import { type SessionClaims, hashPassword, newApiToken, parseApiToken, randomToken, sha256, signSession, verifyPassword, verifySession } from './crypto.js';

export const SESSION_TTL_MS = 12 * 3_600_000;
const SETUP_TTL_MS = 24 * 3_600_000;

export type Principal = { kind: 'user'; name: string } | { kind: 'token'; id: string; name: string };

export const CredentialsSchema = z.object({
  username: z.string().trim().min(1, 'username is required').max(64).regex(/^[A-Za-z0-9._-]+$/, 'username may use letters, digits, ".", "_" and "-"'),
  password: z.string().min(10, 'password must be at least 10 characters').max(1024),
});

type Auth = NonNullable<Cluster['auth']>;

const authOf = (store: Store): Auth | undefined => store.view((tx) => tx.list('clusters')[0]?.auth);

async function writeAuth(store: Store, fn: (a: Auth, now: number) => Result<Auth, string>): Promise<Result<Auth, string>> {
  const r = await store.update((tx): Result<Auth, string> => {
    const c = tx.list('clusters')[0];
    if (!c) return err('cluster not found');
    const cur: Auth = c.auth ?? { sessionKey: crypto.randomBytes(32).toString('hex'), users: [], apiTokens: [] };
    const next = fn(cur, tx.now);
    if (!next.ok) return next;
    const u = tx.update('clusters', { ...c, auth: next.value });
    return u.ok ? next : err(u.error.message);
  });
  return r.ok ? r : err(typeof r.error === 'string' ? r.error : r.error.message);
}

/** While no user exists, issues a fresh one-time setup token (valid 24 h) and returns it. */
export async function beginSetup(store: Store): Promise<string | undefined> {
  if ((authOf(store)?.users.length ?? 0) > 0) return undefined;
  const token = randomToken(18);
  const r = await writeAuth(store, (a, now) => ok({ ...a, setup: { tokenHash: sha256(token), expiresAt: now + SETUP_TTL_MS } }));
  return r.ok ? token : undefined;
}

export async function completeSetup(store: Store, setupToken: string, creds: unknown): Promise<Result<SessionClaims, string>> {
  const parsed = CredentialsSchema.safeParse(creds);
  if (!parsed.success) return err(formatZodError(parsed.error));
  const passwordHash = await hashPassword(parsed.data.password);
  const r = await writeAuth(store, (a, now) => {
    if (a.users.length > 0) return err('setup is already complete: sign in instead');
    const s = a.setup;
    if (!s || s.expiresAt < now || !crypto.timingSafeEqual(Buffer.from(sha256(setupToken)), Buffer.from(s.tokenHash))) {
      return err('this setup link is invalid or expired: restart swarmd for a new one');
    }
    const { setup: _, ...rest } = a;
    return ok({ ...rest, users: [{ name: parsed.data.username, passwordHash, createdAt: now }] });
  });
  return r.ok ? ok({ user: parsed.data.username, exp: Date.now() + SESSION_TTL_MS }) : r;
}

/** A fixed hash to verify against when the user does not exist, so timing does not tell. */
const DECOY = hashPassword(randomToken());

export async function login(store: Store, creds: unknown, now = Date.now()): Promise<Result<SessionClaims, string>> {
  const parsed = CredentialsSchema.safeParse(creds);
  const generic = 'wrong username or password';
  if (!parsed.success) return err(generic);
  const user = authOf(store)?.users.find((u) => u.name === parsed.data.username);
  const ok_ = await verifyPassword(parsed.data.password, user?.passwordHash ?? (await DECOY));
  return user && ok_ ? ok({ user: user.name, exp: now + SESSION_TTL_MS }) : err(generic);
}

export function sessionCookieValue(store: Store, claims: SessionClaims): string {
  const a = authOf(store);
  if (!a) throw new Error('auth state missing after sign-in');
  return signSession(a.sessionKey, claims);
}

/** Who a request is: a signed-in user (cookie) or an API token (bearer). */
export function authenticate(store: Store, cred: { cookie?: string | undefined; bearer?: string | undefined }, now = Date.now()): Principal | undefined {
  const a = authOf(store);
  if (!a) return undefined;
  if (cred.cookie) {
    const c = verifySession(a.sessionKey, cred.cookie, now);
    if (c && a.users.some((u) => u.name === c.user)) return { kind: 'user', name: c.user };
  }
  if (cred.bearer) {
    const p = parseApiToken(cred.bearer);
    const t = p && a.apiTokens.find((x) => x.id === p.id);
    if (p && t && crypto.timingSafeEqual(Buffer.from(sha256(p.secret)), Buffer.from(t.hash))) return { kind: 'token', id: t.id, name: t.name };
  }
  return undefined;
}

export async function createApiToken(store: Store, name: string, by: string): Promise<Result<{ id: string; token: string }, string>> {
  const t = newApiToken();
  const r = await writeAuth(store, (a, now) => ok({ ...a, apiTokens: [...a.apiTokens, { id: t.id, name, hash: sha256(t.secret), createdAt: now, createdBy: by }] }));
  return r.ok ? ok({ id: t.id, token: t.token }) : r;
}

export async function revokeApiToken(store: Store, id: string): Promise<Result<void, string>> {
  const r = await writeAuth(store, (a) => (a.apiTokens.some((t) => t.id === id) ? ok({ ...a, apiTokens: a.apiTokens.filter((t) => t.id !== id) }) : err(`API token ${id} not found`)));
  return r.ok ? ok(undefined) : r;
}

export const listApiTokens = (store: Store) => (authOf(store)?.apiTokens ?? []).map(({ hash: _, ...t }) => t);
export const hasUsers = (store: Store) => (authOf(store)?.users.length ?? 0) > 0;
