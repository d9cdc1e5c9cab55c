import { afterEach, describe, expect, it } from 'vitest';
import { type CommitEvent, type Node, ok } from '@swarm/shared';
import { type Proposer, createStore } from '../store/store.js';
import { makeNode } from '../testing/fixtures.js';
import { createNodeWriter } from './node-writes.js';

/** A proposer the test controls: records every proposal, and can hold or fail them. */
function controlledProposer() {
  const proposals: CommitEvent[][] = [];
  let failNext = 0;
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const proposer: Proposer = {
    async propose(commits) {
      proposals.push(commits);
      if (gate) await gate;
      if (failNext > 0) {
        failNext--;
        throw new Error('disk full');
      }
    },
  };
  return {
    proposer,
    proposals,
    failNext: (n: number) => void (failNext = n),
    hold() {
      gate = new Promise((r) => (open = r));
    },
    release() {
      gate = undefined;
      open?.();
    },
  };
}

async function storeWith(nodes: Node[], p: ReturnType<typeof controlledProposer>) {
  const store = createStore();
  const w = await store.update((tx) => {
    for (const n of nodes) tx.create('nodes', n);
    return ok(undefined);
  });
  expect(w.ok).toBe(true);
  store.setProposer(p.proposer);
  return store;
}

const ready = (addr: string) => (n: Node): Node => ({ ...n, status: { state: 'READY', message: '', addr } });
const ids = (n: number) => Array.from({ length: n }, (_, i) => `node${i}`);

describe('node writer', () => {
  let pending: Array<Promise<unknown>> = [];
  afterEach(async () => {
    await Promise.allSettled(pending);
    pending = [];
  });

  it('commits N concurrent writes to N nodes as one transaction, each answered with its own node', async () => {
    const p = controlledProposer();
    const store = await storeWith(ids(50).map((id) => makeNode(id, { state: 'DOWN' })), p);
    const writer = createNodeWriter({ store });
    const rs = await Promise.all(ids(50).map((id, i) => writer.write(id, ready(`10.0.0.${i}`))));
    expect(p.proposals).toHaveLength(1);
    expect(p.proposals[0]).toHaveLength(1); // one commit ...
    expect(p.proposals[0]![0]!.changes).toHaveLength(50); // ... carrying every node
    rs.forEach((r, i) => {
      expect(r.ok && r.value.id).toBe(`node${i}`);
      expect(r.ok && r.value.status).toEqual({ state: 'READY', message: '', addr: `10.0.0.${i}` });
    });
    for (const id of ids(50)) expect(store.view((tx) => tx.get('nodes', id))?.status.state).toBe('READY');
  });

  it('fails only the write whose node is missing or whose edit throws; the others commit', async () => {
    const p = controlledProposer();
    const store = await storeWith([makeNode('a', { state: 'DOWN' }), makeNode('b', { state: 'DOWN' })], p);
    const writer = createNodeWriter({ store });
    const [a, missing, boom, b] = await Promise.all([
      writer.write('a', ready('1.1.1.1')),
      writer.write('ghost', ready('2.2.2.2')),
      writer.write('b', () => {
        throw new Error('bad description');
      }),
      writer.write('b', ready('3.3.3.3')),
    ]);
    expect(a.ok).toBe(true);
    expect(missing).toEqual({ ok: false, error: 'node not found' });
    expect(boom).toEqual({ ok: false, error: 'node b: bad description' });
    expect(b.ok && b.value.status.addr).toBe('3.3.3.3');
    expect(p.proposals).toHaveLength(1);
    expect(store.view((tx) => tx.get('nodes', 'a'))?.status.state).toBe('READY');
    expect(store.view((tx) => tx.get('nodes', 'b'))?.status.addr).toBe('3.3.3.3');
    expect(store.view((tx) => tx.get('nodes', 'ghost'))).toBeUndefined();
  });

  it('fails every write of a batch whose commit fails, writes nothing, and commits the next batch normally', async () => {
    const p = controlledProposer();
    const store = await storeWith([makeNode('a', { state: 'DOWN' }), makeNode('b', { state: 'DOWN' })], p);
    const writer = createNodeWriter({ store });
    p.failNext(1);
    const failed = await Promise.all([writer.write('a', ready('1.1.1.1')), writer.write('b', ready('1.1.1.2'))]);
    for (const r of failed) expect(r.ok ? '' : r.error).toMatch(/^node write failed: .*disk full/);
    expect(store.view((tx) => tx.get('nodes', 'a'))?.status.state).toBe('DOWN');
    const again = await writer.write('a', ready('1.1.1.1'));
    expect(again.ok).toBe(true);
    expect(store.view((tx) => tx.get('nodes', 'a'))?.status.state).toBe('READY');
  });

  it('batches the writes that arrive while a commit is in flight into the next one', async () => {
    const p = controlledProposer();
    const store = await storeWith(ids(20).map((id) => makeNode(id, { state: 'DOWN' })), p);
    const writer = createNodeWriter({ store });
    p.hold();
    const first = writer.write('node0', ready('a'));
    pending.push(first);
    while (p.proposals.length === 0) await new Promise((r) => setImmediate(r));
    const rest = ids(20).slice(1).map((id) => writer.write(id, ready('b')));
    pending.push(...rest);
    await new Promise((r) => setImmediate(r));
    expect(p.proposals).toHaveLength(1); // the others wait for the commit in flight
    p.release();
    const rs = await Promise.all([first, ...rest]);
    expect(rs.every((r) => r.ok)).toBe(true);
    expect(p.proposals).toHaveLength(2);
    expect(p.proposals[1]![0]!.changes).toHaveLength(19);
  });

  it('an edit that leaves the node as it is writes nothing and answers with the current node', async () => {
    const p = controlledProposer();
    const store = await storeWith([makeNode('a', { state: 'DOWN' })], p);
    const writer = createNodeWriter({ store });
    const r = await writer.write('a', () => undefined);
    expect(r.ok && r.value.status.state).toBe('DOWN');
    expect(p.proposals).toHaveLength(0);
    await writer.flush();
  });
});
