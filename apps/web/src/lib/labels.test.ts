import { describe, expect, it } from 'vitest';
import { labelLines, parseLabelLines } from './labels';

describe('label lines', () => {
  it('parses key=value lines, skipping blanks, keeping everything after the first =', () => {
    expect(parseLabelLines('zone=a\n\n  disk = ssd \nnote=a=b\nempty=')).toEqual({ ok: true, value: { zone: 'a', disk: 'ssd', note: 'a=b', empty: '' } });
  });
  it('names the line of a bad entry', () => {
    expect(parseLabelLines('zone=a\nnope')).toEqual({ ok: false, error: 'line 2: "nope" is not key=value' });
    expect(parseLabelLines('=x')).toMatchObject({ ok: false, error: expect.stringContaining('line 1: "" is not a valid label key') });
    expect(parseLabelLines('a b=1')).toMatchObject({ ok: false, error: expect.stringContaining('"a b" is not a valid label key') });
    expect(parseLabelLines('k=1\nk=2')).toEqual({ ok: false, error: 'line 2: "k" is given twice' });
  });
  it('round-trips sorted', () => {
    const text = labelLines({ zone: 'b', disk: 'ssd' });
    expect(text).toBe('disk=ssd\nzone=b');
    expect(parseLabelLines(text)).toEqual({ ok: true, value: { disk: 'ssd', zone: 'b' } });
  });
});
