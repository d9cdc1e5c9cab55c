/**
 * Certificate facts the dashboard shows: the CA fingerprint (computed in the
 * browser from the CA certificate the live stream carries, so it needs no
 * query) and how close a node certificate is to expiring.
 */

/** DER bytes of the first certificate in a PEM string. */
export function pemToDer(pem: string): Uint8Array {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!m?.[1]) throw new Error('not a PEM certificate');
  const bin = atob(m[1].replace(/\s+/g, ''));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** `sha256:<hex of the DER>`, as `cluster.inspect` and `swarmctl` print it. */
export async function certFingerprint(pem: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', pemToDer(pem) as Uint8Array<ArrayBuffer>);
  return `sha256:${[...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Below this share of its lifetime left, a certificate is flagged (it should have been renewed by now). */
export const CERT_WARN_FRACTION = 0.2;

const DAY = 86_400_000;

export interface CertExpiry {
  notAfter: number;
  remainingMs: number;
  lifetimeMs: number;
  /** Share of the lifetime still ahead, 0..1. */
  remaining: number;
  expired: boolean;
  warn: boolean;
  /** "in 89 days", "in 5 hours", "expired 2 days ago". */
  relative: string;
}

function span(ms: number): string {
  const abs = Math.abs(ms);
  if (abs >= 2 * DAY) return `${Math.floor(abs / DAY)} days`;
  if (abs >= DAY) return '1 day';
  const h = Math.floor(abs / 3_600_000);
  if (h >= 1) return `${h} hour${h === 1 ? '' : 's'}`;
  const m = Math.max(1, Math.floor(abs / 60_000));
  return `${m} minute${m === 1 ? '' : 's'}`;
}

export function certExpiry(cert: { notBefore: number; notAfter: number }, now: number): CertExpiry {
  const lifetimeMs = Math.max(1, cert.notAfter - cert.notBefore);
  const remainingMs = cert.notAfter - now;
  const remaining = Math.min(1, Math.max(0, remainingMs / lifetimeMs));
  const expired = remainingMs <= 0;
  return {
    notAfter: cert.notAfter,
    remainingMs,
    lifetimeMs,
    remaining,
    expired,
    warn: expired || remaining < CERT_WARN_FRACTION,
    relative: expired ? `expired ${span(remainingMs)} ago` : `in ${span(remainingMs)}`,
  };
}

/** "2026-02-24 00:31 UTC": absolute, unambiguous across the team's time zones. */
export function formatUtc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
