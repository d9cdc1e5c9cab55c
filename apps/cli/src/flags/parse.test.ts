import { describe, expect, it } from 'vitest';
import { parseChoice, parseCpu, parseDurationFlag, parseKeyValues, parseMemory, parseRatio, parseUint, splitCommas, splitWords } from './parse.js';

const okValue = <T>(r: { ok: true; value: T } | { ok: false; error: string }): T => {
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe('parseMemory (go-units RAMInBytes)', () => {
  it.each([
    ['1024', 1024],
    ['512m', 512 * 1024 ** 2],
    ['512M', 512 * 1024 ** 2],
    ['512mb', 512 * 1024 ** 2],
    ['512MiB', 512 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1.5g', 1.5 * 1024 ** 3],
    ['2 GB', 2 * 1024 ** 3],
    ['4k', 4096],
    ['1t', 1024 ** 4],
    ['0', 0],
    ['10b', 10],
  ])('%s → %d', (text, bytes) => {
    expect(okValue(parseMemory('memory-reservation', text))).toBe(bytes);
  });
  it.each(['', 'm', '-1m', '12x', '1.2.3g', 'lots'])('rejects %j naming the flag', (text) => {
    const r = parseMemory('memory-reservation', text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('--memory-reservation');
  });
});

describe('parseCpu', () => {
  it.each([
    ['1', 1e9],
    ['0.5', 5e8],
    ['.25', 2.5e8],
    ['2.', 2e9],
    ['0.001', 1e6],
    ['0.000000001', 1],
    ['1.500000000', 1.5e9],
    ['16', 16e9],
  ])('%s → %d nano-CPUs', (text, nano) => {
    expect(okValue(parseCpu('cpu-reservation', text))).toBe(nano);
  });
  it.each(['', '.', 'abc', '-1', '1e3', '0.0000000001'])('rejects %j', (text) => {
    expect(parseCpu('cpu-reservation', text).ok).toBe(false);
  });
});

describe('parseDurationFlag (shared parseDuration, ms)', () => {
  it.each([
    ['0', 0],
    ['5s', 5000],
    ['1m30s', 90_000],
    ['100ms', 100],
    ['2h', 7_200_000],
    ['1.5s', 1500],
  ])('%s → %d ms', (text, ms) => {
    expect(okValue(parseDurationFlag('restart-delay', text))).toBe(ms);
  });
  it.each(['5', 's', '5 s', '-5s', '5d'])('rejects %j naming the flag', (text) => {
    const r = parseDurationFlag('restart-delay', text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^invalid value ".*" for --restart-delay: /);
  });
});

describe('parseUint / parseRatio / parseChoice', () => {
  it('parses non-negative integers only', () => {
    expect(okValue(parseUint('replicas', ' 3 '))).toBe(3);
    expect(okValue(parseUint('replicas', '0'))).toBe(0);
    for (const bad of ['-1', '1.5', '', 'x', '1e3', '99999999999999999999']) expect(parseUint('replicas', bad).ok).toBe(false);
  });
  it('parses ratios in [0, 1]', () => {
    expect(okValue(parseRatio('r', '0'))).toBe(0);
    expect(okValue(parseRatio('r', '0.5'))).toBe(0.5);
    expect(okValue(parseRatio('r', '1'))).toBe(1);
    for (const bad of ['-0.1', '1.01', 'half', '']) expect(parseRatio('r', bad).ok).toBe(false);
  });
  it('maps choices case-insensitively and lists them on error', () => {
    expect(okValue(parseChoice('mode', 'GLOBAL', { replicated: 'r', global: 'g' }))).toBe('g');
    const r = parseChoice('mode', 'x', { replicated: 'r', global: 'g' });
    expect(!r.ok && r.error).toBe('invalid value "x" for --mode: use replicated or global');
    expect(parseChoice('mode', 'toString', { replicated: 'r' }).ok).toBe(false);
  });
});

describe('splitWords', () => {
  it.each([
    ['echo hi', ['echo', 'hi']],
    ['  a   b  ', ['a', 'b']],
    [`sh -c 'echo "x" && y'`, ['sh', '-c', 'echo "x" && y']],
    [`a "b c" d`, ['a', 'b c', 'd']],
    [`"say \\"hi\\""`, ['say "hi"']],
    [`a\\ b`, ['a b']],
    [`''`, ['']],
    ['', []],
    ['x,y', ['x,y']],
  ])('%j → %j', (line, words) => {
    expect(okValue(splitWords('command', line))).toEqual(words);
  });
  it('rejects an unterminated quote', () => {
    expect(splitWords('args', `"abc`).ok).toBe(false);
  });
});

describe('parseKeyValues / splitCommas', () => {
  it('reads repeated and comma-separated pairs', () => {
    expect(okValue(parseKeyValues('label', ['a=1,b=2', 'c=', 'd=e=f']))).toEqual({ a: '1', b: '2', c: '', d: 'e=f' });
  });
  it('rejects pairs without a key or =', () => {
    expect(parseKeyValues('label', ['a']).ok).toBe(false);
    expect(parseKeyValues('label', ['=v']).ok).toBe(false);
  });
  it('drops empty items', () => {
    expect(splitCommas(['a,,b', '', ' c '])).toEqual(['a', 'b', 'c']);
  });
});
