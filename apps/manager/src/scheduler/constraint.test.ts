import { describe, expect, it } from 'vitest';
import type { Node } from '@swarm/shared';
import { makeNode } from '../testing/fixtures.js';
import { compileConstraints } from './constraint.js';

const node: Node = (() => {
  const n = makeNode('abc123');
  return {
    ...n,
    role: 'MANAGER',
    spec: { ...n.spec, annotations: { name: '', labels: { zone: 'eu-West', Rack: 'r1' } } },
    description: { ...n.description!, hostname: 'Worker-1', platform: { os: 'linux', architecture: 'x86_64' }, engine: { ...n.description!.engine, labels: { disk: 'ssd' } } },
    status: { ...n.status, addr: '10.1.2.3' },
  };
})();

const matches = (...cs: string[]) => {
  const m = compileConstraints(cs);
  if (!m.ok) throw new Error(m.error);
  return m.value(node);
};

describe('constraint evaluation (swarmkit.md §6)', () => {
  it.each([
    ['node.id==abc123', true],
    ['node.id==ABC123', true],
    ['node.id!=abc123', false],
    ['node.hostname==worker-1', true],
    ['node.hostname!=other', true],
    ['node.role==manager', true],
    ['node.role==worker', false],
    ['node.platform.os==linux', true],
    ['node.platform.arch==x86_64', true],
    ['node.platform.arch==amd64', false],
    ['node.labels.zone==eu-west', true],
    ['node.labels.Zone==eu-west', false], // label keys are case-sensitive
    ['node.labels.rack!=r1', true], // missing label is "" so != passes
    ['NODE.LABELS.Rack==r1', true], // key names are not
    ['node.labels.missing==x', false],
    ['engine.labels.disk==ssd', true],
    ['engine.labels.disk!=ssd', false],
    ['node.ip==10.1.2.3', true],
    ['node.ip==10.1.2.4', false],
    ['node.ip==10.0.0.0/8', true],
    ['node.ip!=10.0.0.0/8', false],
    ['node.ip==192.168.0.0/16', false],
    ['node.ip==not-an-ip', false],
    ['node.ip!=not-an-ip', false], // malformed value never matches
    ['node.unknown==x', false],
    ['node.unknown!=x', false],
    ['node.labels.zone==eu-*', false], // no globbing
  ])('%s → %s', (c, want) => expect(matches(c)).toBe(want));

  it('ANDs several constraints', () => {
    expect(matches('node.role==manager', 'engine.labels.disk==ssd')).toBe(true);
    expect(matches('node.role==manager', 'engine.labels.disk==hdd')).toBe(false);
  });

  it('reads node.ip from an address with a port', () => {
    const m = compileConstraints(['node.ip==10.1.2.3']);
    expect(m.ok && m.value({ ...node, status: { ...node.status, addr: '10.1.2.3:4242' } })).toBe(true);
  });

  it('reports parse errors with their position', () => {
    expect(compileConstraints(['node.role==worker', 'node.role=worker'])).toEqual({ ok: false, error: 'constraint 1: constraint expected one operator from ==, != at position 10' });
  });
});
