import { describe, expect, it } from 'vitest';
import type { Node } from '@swarm/shared';
import { FAILOVER_AFTER, createFailover } from './failover';

const manager = (dashboard: string, reachability: 'REACHABLE' | 'UNREACHABLE' = 'REACHABLE') =>
  ({ id: dashboard, dashboard, managerStatus: { raftId: dashboard, addr: '', leader: false, reachability } }) as unknown as Node;

describe('socket failover', () => {
  it('stays home while connections open, and moves to the next manager after repeated failed attempts', () => {
    const f = createFailover('http://127.0.0.1:1');
    f.setManagers([manager('http://127.0.0.1:1'), manager('http://127.0.0.1:2'), manager('http://127.0.0.1:3', 'UNREACHABLE')]);
    expect(f.url()).toBe('ws://127.0.0.1:1/trpc');
    f.opened();
    expect(f.url()).toBe('ws://127.0.0.1:1/trpc'); // reconnect after a drop: same manager first
    const urls = Array.from({ length: FAILOVER_AFTER }, () => f.url()); // these attempts never open
    expect(urls.at(-1)).toBe('ws://127.0.0.1:2/trpc'); // unreachable managers are skipped
    f.opened();
    expect(f.url()).toBe('ws://127.0.0.1:2/trpc'); // stays where it got through
  });

  it('keeps https as wss and ignores workers and nodes without a dashboard', () => {
    const f = createFailover('https://a:1');
    f.setManagers([{ id: 'w', role: 'WORKER' } as unknown as Node, manager('https://b:2')]);
    const urls = Array.from({ length: FAILOVER_AFTER + 1 }, () => f.url());
    expect(urls[0]).toBe('wss://a:1/trpc');
    expect(urls.at(-1)).toBe('wss://b:2/trpc');
  });
});
