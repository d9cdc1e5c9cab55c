import { randomBytes } from 'node:crypto';

/**
 * Object IDs in SwarmKit's shape: 25 lower-case base-36 characters.
 * 128 random bits always fit in 25 base-36 digits (36^25 > 2^129), left-padded.
 */
export function newId(): string {
  const n = BigInt('0x' + randomBytes(16).toString('hex'));
  return n.toString(36).padStart(25, '0');
}

export const isId = (s: string): boolean => /^[0-9a-z]{25}$/.test(s);
