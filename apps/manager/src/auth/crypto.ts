/** Password hashing (scrypt), signed session cookies (HMAC) and API tokens. Pure functions over node:crypto. */
import crypto from 'node:crypto';

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;

const scrypt = (password: string, salt: Buffer, keylen: number, o: { N: number; r: number; p: number }) =>
  new Promise<Buffer>((resolve, reject) => crypto.scrypt(password, salt, keylen, o, (e, key) => (e ? reject(e) : resolve(key))));

/** scrypt off the event loop (libuv thread pool). */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT.keylen, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !key) return false;
  const want = Buffer.from(key, 'base64url');
  const got = await scrypt(password, Buffer.from(salt, 'base64url'), want.length, { N: Number(n), r: Number(r), p: Number(p) });
  return crypto.timingSafeEqual(want, got);
}

export const sha256 = (s: string): string => crypto.createHash('sha256').update(s).digest('hex');

export const randomToken = (bytes = 24): string => crypto.randomBytes(bytes).toString('base64url');

export interface SessionClaims {
  user: string;
  /** Expiry, ms since epoch. */
  exp: number;
}

const mac = (key: string, body: string) => crypto.createHmac('sha256', Buffer.from(key, 'hex')).update(body).digest('base64url');

export function signSession(key: string, claims: SessionClaims): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${mac(key, body)}`;
}

export function verifySession(key: string, cookie: string, now: number): SessionClaims | undefined {
  const [body, sig] = cookie.split('.');
  if (!body || !sig) return undefined;
  const want = Buffer.from(mac(key, body));
  const got = Buffer.from(sig);
  if (want.length !== got.length || !crypto.timingSafeEqual(want, got)) return undefined;
  try {
    const c = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as SessionClaims;
    if (typeof c.user !== 'string' || typeof c.exp !== 'number' || c.exp <= now) return undefined;
    return c;
  } catch {
    return undefined;
  }
}

/** API tokens read `swt_<id>.<secret>`; only sha256(secret) is stored. */
export function newApiToken(): { id: string; secret: string; token: string } {
  const id = crypto.randomBytes(6).toString('hex');
  const secret = randomToken(24);
  return { id, secret, token: `swt_${id}.${secret}` };
}

export function parseApiToken(token: string): { id: string; secret: string } | undefined {
  const m = /^swt_([0-9a-f]{12})\.([A-Za-z0-9_-]{20,})$/.exec(token.trim());
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), decodeURIComponent(part.slice(i + 1).trim()));
  }
  return out;
}
