import { describe, expect, it } from 'vitest';
import { PEER_ROUTES_ENV, parsePeerRoutes, peerRoutesFromEnv } from './test-routes.js';

describe('SWARM_TEST_PEER_ROUTES (test hook)', () => {
  it('unset or empty: no rerouting, nothing logged', () => {
    const warned: string[] = [];
    expect(peerRoutesFromEnv((m) => warned.push(m), {})).toBeUndefined();
    expect(peerRoutesFromEnv((m) => warned.push(m), { [PEER_ROUTES_ENV]: ' ' })).toBeUndefined();
    expect(warned).toEqual([]);
  });

  it('maps listed addresses, leaves others alone, and says so loudly', () => {
    const warned: string[] = [];
    const dial = peerRoutesFromEnv((m) => warned.push(m), { [PEER_ROUTES_ENV]: JSON.stringify({ '127.0.0.1:4001': '127.0.0.1:5001', '[::1]:4002': '127.0.0.1:5002' }) });
    expect(dial?.('127.0.0.1:4001')).toBe('127.0.0.1:5001');
    expect(dial?.('[::1]:4002')).toBe('127.0.0.1:5002');
    expect(dial?.('127.0.0.1:4003')).toBe('127.0.0.1:4003');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/TEST HOOK SWARM_TEST_PEER_ROUTES IS SET.*127\.0\.0\.1:4001 → 127\.0\.0\.1:5001/);
  });

  it('refuses a value that is not a host:port map', () => {
    expect(parsePeerRoutes('{not json').ok).toBe(false);
    expect(parsePeerRoutes('["127.0.0.1:1"]').ok).toBe(false);
    const bad = parsePeerRoutes(JSON.stringify({ '127.0.0.1:1': 'nowhere' }));
    expect(bad.ok ? '' : bad.error).toMatch(/host:port/);
    expect(() => peerRoutesFromEnv(() => undefined, { [PEER_ROUTES_ENV]: '{"a b:1":"x:2"}' })).toThrow(/must map/);
  });
});
