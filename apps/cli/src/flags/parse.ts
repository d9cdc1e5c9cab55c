/**
 * Parsers for flag values. Each returns a Result whose error names the flag,
 * so the CLI can print it as is.
 */
import { type Result, err, ok, parseDuration } from '@swarm/shared';

/** A non-negative integer ("0", "3"); rejects "-1", "1.5", "abc". */
export function parseUint(flag: string, value: string): Result<number> {
  const v = value.trim();
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
    return err(`invalid value "${value}" for --${flag}: must be a non-negative integer`);
  }
  return ok(Number(v));
}

/** A Go-style duration ("5s", "1m30s", "0") in milliseconds. */
export function parseDurationFlag(flag: string, value: string): Result<number> {
  const r = parseDuration(value);
  return r.ok ? r : err(`invalid value "${value}" for --${flag}: ${r.error}`);
}

/** A float in [0, 1] (failure ratios). */
export function parseRatio(flag: string, value: string): Result<number> {
  const v = value.trim();
  const n = Number(v);
  if (v === '' || !/^\d*\.?\d+$|^\d+\.$/.test(v) || !(n >= 0 && n <= 1)) {
    return err(`invalid value "${value}" for --${flag}: must be a number between 0 and 1`);
  }
  return ok(n);
}

const SIZE_RE = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i;
const BINARY: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * Memory sizes as docker/go-units RAMInBytes reads them: binary multiples,
 * case-insensitive, optional "i"/"b" ("512m", "1.5g", "64MiB", "1024", "2 GB").
 */
export function parseMemory(flag: string, value: string): Result<number> {
  const m = SIZE_RE.exec(value.trim());
  if (!m) return err(`invalid value "${value}" for --${flag}: use a size such as 512m, 1g or a number of bytes`);
  const bytes = Math.floor(Number(m[1]) * (BINARY[(m[2] ?? '').toLowerCase()] ?? 1));
  if (!Number.isSafeInteger(bytes)) return err(`invalid value "${value}" for --${flag}: too large`);
  return ok(bytes);
}

/** A CPU count with at most 9 decimals ("0.5", "2", ".25") as nano-CPUs, computed exactly. */
export function parseCpu(flag: string, value: string): Result<number> {
  const m = /^(\d*)(?:\.(\d*))?$/.exec(value.trim());
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) return err(`invalid value "${value}" for --${flag}: use a number of CPUs such as 0.5 or 2`);
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > 9) return err(`invalid value "${value}" for --${flag}: CPU value cannot have more than 9 decimal places`);
  const nano = Number(m[1] || '0') * 1e9 + Number(frac.padEnd(9, '0') || '0');
  if (!Number.isSafeInteger(nano)) return err(`invalid value "${value}" for --${flag}: too large`);
  return ok(nano);
}

/** Splits each value on commas (pflag's StringSlice), dropping empty items. */
export function splitCommas(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * "k=v" pairs (repeatable and comma-separated) into a map; keys and values
 * are trimmed, the value may contain '='. A pair without '=' is an error.
 */
export function parseKeyValues(flag: string, values: readonly string[]): Result<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const item of splitCommas(values)) {
    const i = item.indexOf('=');
    if (i <= 0) return err(`malformed --${flag} "${item}": expected key=value`);
    out[item.slice(0, i).trim()] = item.slice(i + 1).trim();
  }
  return ok(out);
}

/**
 * Splits a command line into words as a POSIX shell would for plain words
 * and quotes (no expansion): whitespace separates words, '...' is literal,
 * "..." allows \" and \\, a backslash outside quotes escapes the next char.
 */
export function splitWords(flag: string, line: string): Result<string[]> {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) cur += line[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) return err(`invalid value for --${flag}: unterminated ${quote} quote in ${JSON.stringify(line)}`);
  if (inWord) words.push(cur);
  return ok(words);
}

/** One of a fixed set of values (case-insensitive), mapped to its canonical form. */
export function parseChoice<T extends string>(flag: string, value: string, choices: Record<string, T>, shown?: readonly string[]): Result<T> {
  const key = value.trim().toLowerCase();
  const v = Object.hasOwn(choices, key) ? choices[key] : undefined;
  if (v !== undefined) return ok(v);
  const names = shown ?? Object.keys(choices);
  return err(`invalid value "${value}" for --${flag}: use ${names.slice(0, -1).join(', ')}${names.length > 1 ? ' or ' : ''}${names.at(-1)}`);
}
