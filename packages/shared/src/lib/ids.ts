/**
 * Object IDs in SwarmKit's shape: 25 lower-case base-36 characters.
 * 128 random bits always fit in 25 base-36 digits (36^25 > 2^129), left-padded.
 * Uses Web Crypto (global in Node 20 and browsers), so this module bundles without polyfills.
 */
export function newId(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n.toString(36).padStart(25, '0');
}

export const isId = (s: string): boolean => /^[0-9a-z]{25}$/.test(s);
