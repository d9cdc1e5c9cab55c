/**
 * The docker controller against a stand-in engine that records every call: a task
 * this agent creates costs the engine a create and a start, and its end is seen
 * through the event subscription opened before the start (no inspect).
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { describe, expect, it, vi } from 'vitest';
import { makeTask } from '../../testing/tasks.js';
import { createContainerIndex } from './container-index.js';
import { createDockerController } from './controller.js';
import { createEventHub } from './events.js';
import { createEngineQuiet } from './quiet.js';

function fakeEngine(inspectState: Record<string, unknown> = { Running: true, Status: 'running', Pid: 42, ExitCode: 0 }) {
  const calls: string[] = [];
  const streams: PassThrough[] = [];
  const docker = {
    async listContainers() {
      calls.push('list');
      return [];
    },
    async getEvents() {
      calls.push('events');
      const s = new PassThrough();
      streams.push(s);
      return s;
    },
    async createContainer() {
      calls.push('create');
      return { id: 'c1' };
    },
    getContainer: (id: string) => ({
      async start() {
        calls.push(`start ${id}`);
      },
      async inspect() {
        calls.push(`inspect ${id}`);
        return { Id: id, State: inspectState };
      },
    }),
  } as unknown as Docker;
  const emit = (action: string, attributes: Record<string, string> = {}) =>
    streams.at(-1)!.write(`${JSON.stringify({ Action: action, Actor: { ID: 'c1', Attributes: attributes } })}\n`);
  return { docker, calls, emit, streams };
}

function controllerFor(e: ReturnType<typeof fakeEngine>, task = makeTask(), quietMs?: number) {
  const events = createEventHub(e.docker, [], 'unix:///fake.sock');
  const index = createContainerIndex(e.docker, []);
  const quiet = quietMs !== undefined ? { quiet: createEngineQuiet(quietMs) } : {};
  return createDockerController(task, { docker: e.docker, events, index, engineAddr: 'unix:///fake.sock', extraLabels: {}, network: 'host', engine: {}, ...quiet });
}

const signal = () => new AbortController().signal;

describe('docker controller', () => {
  it('a task it creates costs the engine one create and one start; wait sees the exit without an inspect', async () => {
    const e = fakeEngine();
    const c = controllerFor(e);
    expect(await c.prepare(signal())).toEqual({ ok: true, value: { containerId: 'c1' } });
    expect(await c.start(signal())).toEqual({ ok: true, value: { containerId: 'c1' } });
    const waiting = c.wait(signal());
    e.emit('die', { exitCode: '3' });
    expect(await waiting).toMatchObject({ ok: false, error: { kind: 'fatal', exitCode: 3, containerId: 'c1' } });
    expect(e.calls.filter((x) => x !== 'events')).toEqual(['list', 'create', 'start c1']);
    expect(e.calls.filter((x) => x === 'events')).toHaveLength(1);
  });

  it('a container that exits before wait is called is still seen (the subscription predates the start)', async () => {
    const e = fakeEngine();
    const c = controllerFor(e);
    await c.prepare(signal());
    await c.start(signal());
    e.emit('die', { exitCode: '0' });
    await new Promise((r) => setTimeout(r, 10));
    expect(await c.wait(signal())).toEqual({ ok: true, value: { containerId: 'c1', exitCode: 0 } });
    expect(e.calls.some((x) => x.startsWith('inspect'))).toBe(false);
  });

  it('an aborted wait keeps the subscription for the next one', async () => {
    const e = fakeEngine();
    const c = controllerFor(e);
    await c.prepare(signal());
    await c.start(signal());
    const abort = new AbortController();
    const first = c.wait(abort.signal);
    abort.abort();
    expect(await first).toMatchObject({ ok: false, error: { kind: 'aborted' } });
    e.emit('die', { exitCode: '137' });
    expect(await c.wait(signal())).toMatchObject({ ok: false, error: { exitCode: 137 } });
    expect(e.calls.some((x) => x.startsWith('inspect'))).toBe(false);
  });

  it('wait learns the PID with one inspect once the engine has been quiet, and only once', async () => {
    const e = fakeEngine();
    const c = controllerFor(e, makeTask(), 30);
    await c.prepare(signal());
    await c.start(signal());
    const infos: unknown[] = [];
    const abort = new AbortController();
    const waiting = c.wait(abort.signal, (i) => infos.push(i));
    expect(infos).toEqual([]); // not while the start has just ended
    await vi.waitFor(() => expect(infos).toEqual([{ containerId: 'c1', pid: 42 }]));
    abort.abort();
    await waiting;
    const again = c.wait(signal(), (i) => infos.push(i));
    await new Promise((r) => setTimeout(r, 60));
    e.emit('die', { exitCode: '0' });
    await again;
    expect(infos).toHaveLength(1);
    expect(e.calls.filter((x) => x.startsWith('inspect'))).toEqual(['inspect c1']);
  });

  it('with a health check, start returns once the engine reports healthy', async () => {
    const e = fakeEngine();
    const c = controllerFor(e, makeTask({ container: { healthcheck: { test: ['CMD', 'true'] } } }));
    await c.prepare(signal());
    let started = false;
    const starting = c.start(signal()).then((r) => ((started = true), r));
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toBe(false);
    e.emit('health_status: healthy');
    expect(await starting).toEqual({ ok: true, value: { containerId: 'c1' } });
  });

  it('when the event stream breaks after the start, wait inspects the container again', async () => {
    const e = fakeEngine({ Running: false, Status: 'exited', Pid: 0, ExitCode: 2 });
    const c = controllerFor(e);
    await c.prepare(signal());
    await c.start(signal());
    e.streams.at(-1)!.end();
    await new Promise((r) => setTimeout(r, 10));
    expect(await c.wait(signal())).toMatchObject({ ok: false, error: { kind: 'fatal', exitCode: 2 } });
    expect(e.calls).toContain('inspect c1');
  });
});
