/**
 * Placement constraints, parsed exactly as SwarmKit's `manager/constraint`
 * (swarmkit.md §6): `<key> <op> <value>`, op `==` or `!=` (`==` looked for
 * first; the string is split once), whitespace around key and value trimmed,
 * key `^[a-z_][a-z0-9\-_.]+$` and value `^[a-z0-9:\-_\s.*()?+\[\]\\^$|/]+$`
 * (case-insensitive). Syntax errors carry the 1-based position of the
 * offending character. Pure: shared by the manager, the CLI and the dashboard.
 */
import { type Result, err, ok } from './lib/result.js';

export type ConstraintOp = '==' | '!=';

export interface Constraint {
  /** As written (case kept; label keys are case-sensitive). */
  key: string;
  op: ConstraintOp;
  value: string;
}

export interface ConstraintError {
  message: string;
  /** 1-based index into the constraint string. */
  position: number;
}

const KEY_CHAR = /[a-z0-9\-_.]/i;
const KEY_FIRST = /[a-z_]/i;
const VALUE_CHAR = /[a-z0-9:\-_\s.*()?+[\]\\^$|/]/i;

/** The first index at which `s` (starting at `from`) stops matching `ok`, or -1. */
function firstBad(s: string, from: number, to: number, good: (c: string, i: number) => boolean): number {
  for (let i = from; i < to; i++) if (!good(s[i]!, i - from)) return i;
  return -1;
}

function trimRange(s: string, from: number, to: number): [number, number] {
  while (from < to && /\s/.test(s[from]!)) from++;
  while (to > from && /\s/.test(s[to - 1]!)) to--;
  return [from, to];
}

export function parseConstraint(s: string): Result<Constraint, ConstraintError> {
  let op: ConstraintOp = '==';
  let at = s.indexOf('==');
  if (at < 0) {
    op = '!=';
    at = s.indexOf('!=');
  }
  if (at < 0) {
    // Point at the first character that cannot belong to a key: where the operator should be.
    const [kf, kt] = trimRange(s, 0, s.length);
    const bad = firstBad(s, kf, kt, (c) => KEY_CHAR.test(c));
    return err({ message: 'constraint expected one operator from ==, !=', position: (bad < 0 ? kt : bad) + 1 });
  }
  const [kf, kt] = trimRange(s, 0, at);
  const key = s.slice(kf, kt);
  if (key.length < 2) return err({ message: `key '${key}' is invalid: at least 2 characters expected`, position: kf + 1 });
  const badKey = firstBad(s, kf, kt, (c, i) => (i === 0 ? KEY_FIRST : KEY_CHAR).test(c));
  if (badKey >= 0) return err({ message: `key '${key}' is invalid`, position: badKey + 1 });
  const [vf, vt] = trimRange(s, at + 2, s.length);
  const value = s.slice(vf, vt);
  if (value.length === 0) return err({ message: `value '' is invalid: a value is required`, position: vf + 1 });
  const badValue = firstBad(s, vf, vt, (c) => VALUE_CHAR.test(c));
  if (badValue >= 0) return err({ message: `value '${value}' is invalid`, position: badValue + 1 });
  return ok({ key, op, value });
}

/** Parses every constraint; the first error wins, with its index. */
export function parseConstraints(list: readonly string[]): Result<Constraint[], ConstraintError & { index: number }> {
  const out: Constraint[] = [];
  for (const [index, s] of list.entries()) {
    const c = parseConstraint(s);
    if (!c.ok) return err({ ...c.error, index });
    out.push(c.value);
  }
  return ok(out);
}

export const formatConstraintError = (s: string, e: ConstraintError): string => `${e.message} at position ${e.position} of "${s}"`;

// ------------------------------------------------------------------ keys

export type ConstraintKey =
  | { kind: 'node.id' | 'node.hostname' | 'node.ip' | 'node.role' | 'node.platform.os' | 'node.platform.arch' }
  | { kind: 'node.labels' | 'engine.labels'; label: string };

const PLAIN = ['node.id', 'node.hostname', 'node.ip', 'node.role', 'node.platform.os', 'node.platform.arch'] as const;

/** Key names match case-insensitively; the label key after the prefix keeps its case. Null = unknown key. */
export function classifyKey(key: string): ConstraintKey | null {
  const lower = key.toLowerCase();
  for (const k of PLAIN) if (lower === k) return { kind: k };
  for (const prefix of ['node.labels.', 'engine.labels.'] as const) {
    if (lower.startsWith(prefix) && key.length > prefix.length) {
      return { kind: prefix === 'node.labels.' ? 'node.labels' : 'engine.labels', label: key.slice(prefix.length) };
    }
  }
  return null;
}

export const KNOWN_CONSTRAINT_KEYS = [...PLAIN, 'node.labels.<key>', 'engine.labels.<key>'] as const;

// ------------------------------------------------------------------ IP addresses

/** Parses an IPv4 or IPv6 address into 16 bytes (IPv4 as ::ffff:a.b.c.d), or null. */
export function parseIp(s: string): number[] | null {
  const v4 = (x: string): number[] | null => {
    const parts = x.split('.');
    if (parts.length !== 4) return null;
    const out: number[] = [];
    for (const p of parts) {
      if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
      out.push(Number(p));
    }
    return out;
  };
  if (!s.includes(':')) {
    const b = v4(s);
    return b ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...b] : null;
  }
  let body = s;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
    const b = v4(s.slice(lastColon + 1));
    if (!b) return null;
    body = `${s.slice(0, lastColon + 1)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
      const n = parseInt(g, 16);
      out.push(n >> 8, n & 0xff);
    }
    return out;
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !rest) return null;
  const have = head.length + rest.length;
  if (halves.length === 1 ? have !== 16 : have > 14) return null;
  return [...head, ...new Array<number>(16 - have).fill(0), ...rest];
}

/** `a.b.c.d/n` or `x::/n`; IPv4 prefixes count within the IPv4 part. */
export function parseCidr(s: string): { bytes: number[]; bits: number } | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const bytes = parseIp(s.slice(0, slash));
  const bitsText = s.slice(slash + 1);
  if (!bytes || !/^\d{1,3}$/.test(bitsText)) return null;
  const v4 = !s.slice(0, slash).includes(':');
  const bits = Number(bitsText);
  if (bits > (v4 ? 32 : 128)) return null;
  return { bytes, bits: v4 ? bits + 96 : bits };
}

export function cidrContains(net: { bytes: number[]; bits: number }, ip: number[]): boolean {
  for (let bit = 0; bit < net.bits; bit += 8) {
    const i = bit >> 3;
    const take = Math.min(8, net.bits - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((net.bytes[i] ?? 0) & mask) !== ((ip[i] ?? 0) & mask)) return false;
  }
  return true;
}
