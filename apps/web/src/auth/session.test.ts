import { describe, expect, it } from 'vitest';
import { safeNext, signInUrl } from './session';

describe('safeNext', () => {
  it.each([
    [null, '/'],
    ['', '/'],
    ['/nodes', '/nodes'],
    ['/services/view?id=abc', '/services/view?id=abc'],
    ['https://evil.example/', '/'],
    ['//evil.example/', '/'],
    ['/\\evil.example', '/'],
    ['/signin?next=/x', '/'],
    ['/setup', '/'],
    ['/signing-keys', '/signing-keys'],
  ])('%j → %j', (next, want) => expect(safeNext(next)).toBe(want));
});

describe('signInUrl', () => {
  it('returns to the current page and query', () => {
    expect(signInUrl({ pathname: '/services/view', search: '?id=a b' } as Location)).toBe('/signin?next=%2Fservices%2Fview%3Fid%3Da%20b');
  });
});
