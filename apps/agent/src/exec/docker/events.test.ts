import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { createEventHub, type EngineEvent } from './events.js';

/** A stand-in for dockerode's getEvents: each call hands out a fresh stream the test writes to. */
function fakeDocker() {
  const streams: PassThrough[] = [];
  const filters: unknown[] = [];
  const docker = {
    async getEvents(opts: { filters: unknown }) {
      filters.push(opts.filters);
      const s = new PassThrough();
      streams.push(s);
      return s;
    },
  } as unknown as Docker;
  return { docker, streams, filters };
}

const line = (id: string, action: string, attributes: Record<string, string> = {}) =>
  JSON.stringify({ Type: 'container', Action: action, status: action, id, Actor: { ID: id, Attributes: attributes } }) + '\n';

describe('engine event hub', () => {
  it('parses newline-delimited JSON split across chunks and dispatches by container ID', async () => {
    const { docker, streams, filters } = fakeDocker();
    const hub = createEventHub(docker, ['com.swarm.managed=true'], 'unix:///x.sock');
    const got: EngineEvent[] = [];
    hub.subscribe('c1', (e) => got.push(e));
    expect((await hub.ready()).ok).toBe(true);
    expect(filters).toEqual([{ type: ['container'], label: ['com.swarm.managed=true'] }]);
    const text = line('c2', 'start') + line('c1', 'die', { exitCode: '137' });
    streams[0]!.write(text.slice(0, 30));
    streams[0]!.write(text.slice(30));
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([{ action: 'die', id: 'c1', attributes: { exitCode: '137' } }]);
    hub.close();
  });

  it('tells subscribers when the stream is lost and reconnects on the next ready()', async () => {
    const { docker, streams } = fakeDocker();
    const hub = createEventHub(docker, [], 'unix:///x.sock');
    const got: string[] = [];
    hub.subscribe('c1', (e) => got.push(e.action));
    await hub.ready();
    streams[0]!.end();
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual(['lost']);
    await hub.ready();
    expect(streams).toHaveLength(2);
    streams[1]!.write(line('c1', 'die', { exitCode: '0' }));
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual(['lost', 'die']);
    hub.close();
  });

  it('close() drops the stream quietly; a later ready() reconnects', async () => {
    const { docker, streams } = fakeDocker();
    const hub = createEventHub(docker, [], 'unix:///x.sock');
    const got: string[] = [];
    hub.subscribe('c1', (e) => got.push(e.action));
    await hub.ready();
    hub.close();
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([]); // no 'lost' for a deliberate close
    expect((await hub.ready()).ok).toBe(true);
    expect(streams).toHaveLength(2);
    hub.close();
  });
});
