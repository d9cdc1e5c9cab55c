import { describe, expect, it } from 'vitest';
import type { Node } from '@swarm/shared';
import { installCommand, isLocalOnly, joinAddress, joinArgs, joinCommand } from './join';

const node = (id: string, ms?: Partial<NonNullable<Node['managerStatus']>>): Node =>
  ({ id, managerStatus: ms ? { raftId: id, addr: '', leader: false, reachability: 'REACHABLE', ...ms } : undefined }) as unknown as Node;

describe('joinAddress', () => {
  it("prefers the leader's remote API address", () => {
    expect(joinAddress([node('w'), node('m1', { addr: '10.0.0.2:4242' }), node('m2', { addr: '10.0.0.1:4242', leader: true })])).toBe('10.0.0.1:4242');
  });
  it('falls back to any manager, or nothing', () => {
    expect(joinAddress([node('m1', { addr: '10.0.0.2:4242' })])).toBe('10.0.0.2:4242');
    expect(joinAddress([node('w')])).toBeUndefined();
  });
});

describe('joinCommand', () => {
  const token = 'SWMTKN-1-abc-def';
  it("is SwarmKit's README form", () => {
    expect(joinCommand({ addr: '127.0.0.1:4242', token, hostname: 'node-2', stateDir: '/tmp/node-2' })).toBe(
      `swarmd -d /tmp/node-2 --hostname node-2 --join-addr 127.0.0.1:4242 --join-token ${token}`,
    );
  });
  it('defaults the state dir, omits an empty hostname, quotes odd words', () => {
    expect(joinArgs({ addr: 'a:1', token, hostname: '  ' })).toEqual(['-d', '/var/lib/swarmd', '--join-addr', 'a:1', '--join-token', token]);
    expect(joinCommand({ addr: 'a:1', token, stateDir: "/tmp/my dir's" })).toContain(`-d '/tmp/my dir'\\''s'`);
  });
  it("appends a manager's extra flags after the token", () => {
    expect(joinCommand({ addr: 'a:1', token }, ['--listen-remote-api', '10.0.0.12:4242'])).toBe(
      `swarmd -d /var/lib/swarmd --join-addr a:1 --join-token ${token} --listen-remote-api 10.0.0.12:4242`,
    );
  });
  it('flags addresses other machines cannot dial', () => {
    expect(isLocalOnly('127.0.0.1:4242')).toBe(true);
    expect(isLocalOnly('0.0.0.0:4242')).toBe(true);
    expect(isLocalOnly('[::1]:4242')).toBe(true);
    expect(isLocalOnly('10.1.2.3:4242')).toBe(false);
  });
});

describe('installCommand', () => {
  const line = 'curl -fsSL http://10.0.0.1:4280/install.sh | sh -s - --join-token SWMTKN-1-abc-def';
  it('is the server line as is by default', () => {
    expect(installCommand(line, {})).toBe(line);
    expect(installCommand(line, { hostname: ' ', stateDir: '/var/lib/swarmd' })).toBe(line);
  });
  it('appends the hostname and a non-default state dir as installer flags', () => {
    expect(installCommand(line, { hostname: 'node-2', stateDir: '/srv/swarmd' })).toBe(`${line} --hostname node-2 --state-dir /srv/swarmd`);
  });
  it('appends extra installer flags last (a manager\'s remote API address)', () => {
    expect(installCommand(`${line} --manager`, { hostname: 'm2' }, ['--listen-remote-api', '10.0.0.12:4242'])).toBe(
      `${line} --manager --hostname m2 --listen-remote-api 10.0.0.12:4242`,
    );
  });
});
