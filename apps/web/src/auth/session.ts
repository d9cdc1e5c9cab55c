/**
 * The manager's sign-in endpoints (plain HTTP, same origin, outside tRPC):
 * GET /auth/status, POST /auth/login | /auth/setup | /auth/logout. The session
 * is an HttpOnly cookie, so the browser sends it with every /trpc request and
 * WebSocket upgrade; this code never sees it. A manager without
 * authentication answers 404 here, which reads as "no sign-in needed".
 */
import type { Result } from '@swarm/shared';

export interface AuthStatus {
  /** False when this manager has no authentication (nothing to sign in to). */
  enabled: boolean;
  authenticated: boolean;
  user?: string | undefined;
  setupRequired: boolean;
}

export async function fetchAuthStatus(): Promise<AuthStatus> {
  const res = await fetch('/auth/status', { cache: 'no-store', credentials: 'same-origin' });
  if (res.status === 404) return { enabled: false, authenticated: true, setupRequired: false };
  if (!res.ok) throw new Error(`auth status: HTTP ${res.status}`);
  const body = (await res.json()) as { authenticated?: boolean; user?: string; setupRequired?: boolean };
  return { enabled: true, authenticated: !!body.authenticated, user: body.user, setupRequired: !!body.setupRequired };
}

async function post(path: string, body: unknown): Promise<Result<{ user?: string }>> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    return { ok: false, error: 'cannot reach the manager' };
  }
  const data = (await res.json().catch(() => ({}))) as { error?: string; user?: string };
  if (!res.ok) return { ok: false, error: data.error ?? `HTTP ${res.status}` };
  return { ok: true, value: data };
}

export const signIn = (username: string, password: string) => post('/auth/login', { username, password });
export const completeSetup = (token: string, username: string, password: string) => post('/auth/setup', { token, username, password });
export const signOut = () => post('/auth/logout', {});

/** Where to go after signing in: only a path on this origin, never back to the sign-in pages. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (/^\/(signin|setup)(\/|\.html|\?|$)/.test(next)) return '/';
  return next;
}

export function signInUrl(from: Location = location): string {
  return `/signin?next=${encodeURIComponent(from.pathname + from.search)}`;
}
