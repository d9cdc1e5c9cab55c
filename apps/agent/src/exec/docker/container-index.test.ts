import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { LABEL } from '@swarm/shared';
import { createContainerIndex } from './container-index.js';

/** A stand-in engine that only lists containers, counting the calls. */
function fakeEngine(containers: Array<{ Id: string; task: string }>) {
  const calls: Array<string[]> = [];
  let failNext = false;
  const docker = {
    async listContainers(o: { filters: { label: string[] } }) {
      calls.push(o.filters.label);
      if (failNext) {
        failNext = false;
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      }
      const wanted = o.filters.label.find((l) => l.startsWith(`${LABEL.taskId}=`))?.split('=')[1];
      return containers.filter((c) => !wanted || c.task === wanted).map((c) => ({ Id: c.Id, Labels: { [LABEL.taskId]: c.task } }));
    },
  } as unknown as Docker;
  return { docker, calls, failOnce: () => (failNext = true), containers };
}

describe('container index', () => {
  it('lists the engine once for any number of lookups, concurrent ones included', async () => {
    const e = fakeEngine([{ Id: 'c1', task: 't1' }, { Id: 'c2', task: 't2' }]);
    const idx = createContainerIndex(e.docker, ['com.swarm.managed=true']);
    const found = await Promise.all(['t1', 't2', 't3'].map((t) => idx.lookup(t)));
    expect(found.map((r) => (r.ok ? r.value : 'error'))).toEqual(['c1', 'c2', undefined]);
    expect((await idx.lookup('t1')).ok).toBe(true);
    expect(e.calls).toEqual([['com.swarm.managed=true']]);
  });

  it('learns created containers and forgets removed ones without asking the engine', async () => {
    const e = fakeEngine([]);
    const idx = createContainerIndex(e.docker, []);
    idx.record('t9', 'c9');
    expect(await idx.lookup('t9')).toEqual({ ok: true, value: 'c9' });
    idx.forget('t9');
    expect(await idx.lookup('t9')).toEqual({ ok: true, value: undefined });
    expect(e.calls).toHaveLength(1);
  });

  it('retries a failed listing on the next lookup', async () => {
    const e = fakeEngine([{ Id: 'c1', task: 't1' }]);
    const idx = createContainerIndex(e.docker, []);
    e.failOnce();
    expect((await idx.lookup('t1')).ok).toBe(false);
    expect(await idx.lookup('t1')).toEqual({ ok: true, value: 'c1' });
    expect(e.calls).toHaveLength(2);
  });

  it('refresh asks for one task by label (a create that conflicted adopts the existing container)', async () => {
    const e = fakeEngine([{ Id: 'c1', task: 't1' }]);
    const idx = createContainerIndex(e.docker, []);
    expect(await idx.refresh('t1')).toEqual({ ok: true, value: 'c1' });
    expect(e.calls).toEqual([[`${LABEL.taskId}=t1`]]);
    e.containers.length = 0;
    expect(await idx.refresh('t1')).toEqual({ ok: true, value: undefined });
  });
});
