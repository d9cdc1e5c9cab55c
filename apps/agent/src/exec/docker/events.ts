/**
 * One engine event stream per executor, shared by all controllers.
 * Newline-delimited JSON read with readline (chunks don't align with events).
 * Subscribers are keyed by container ID; when the stream breaks, every
 * subscriber gets `{ action: 'lost' }` and must re-inspect after `ready()`.
 */
import { createInterface } from 'node:readline';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { err, ok, type Result } from '@swarm/shared';
import { aborted, done, fatal, type OpResult } from '../executor.js';
import { dockerMessage } from './engine.js';
import { exitMessage } from './spec.js';

export interface EngineEvent {
  /** `die`, `kill`, `start`, `health_status: healthy`, … or `lost` (stream broke). */
  action: string;
  id: string;
  attributes: Record<string, string>;
}

export interface EventHub {
  /** Resolves once the stream is connected (so later events are not missed). */
  ready(): Promise<Result<void, string>>;
  subscribe(containerId: string, fn: (e: EngineEvent) => void): () => void;
  close(): void;
}

export function createEventHub(docker: Docker, labelFilter: string[], engineAddr: string, logger?: Logger): EventHub {
  const subs = new Map<string, Set<(e: EngineEvent) => void>>();
  let connecting: Promise<Result<void, string>> | undefined;
  let stream: NodeJS.ReadableStream | undefined;
  /** Bumped by close(): a connection started before it is discarded. Later use reconnects. */
  let generation = 0;

  const emit = (id: string, e: EngineEvent) => {
    for (const fn of [...(subs.get(id) ?? [])]) fn(e);
  };

  const lost = () => {
    stream = undefined;
    connecting = undefined;
    for (const [id, set] of subs) for (const fn of [...set]) fn({ action: 'lost', id, attributes: {} });
  };

  const connect = async (): Promise<Result<void, string>> => {
    const gen = generation;
    try {
      const s = await docker.getEvents({ filters: { type: ['container'], label: labelFilter } });
      if (gen !== generation) {
        destroy(s);
        return err('event stream closed');
      }
      stream = s;
      const rl = createInterface({ input: s, crlfDelay: Infinity });
      rl.on('line', (line) => {
        const e = parseEvent(line);
        if (e) emit(e.id, e);
      });
      rl.on('close', () => {
        if (stream === s) {
          logger?.warn('docker event stream ended');
          lost();
        }
      });
      s.on('error', (e: unknown) => logger?.warn({ err: e }, 'docker event stream error'));
      // The engine going away aborts the response; readline re-emits that as 'error', which must
      // not crash the agent (the 'close' that follows reports the stream lost).
      rl.on('error', (e: unknown) => logger?.warn({ err: e }, 'docker event stream aborted'));
      return ok(undefined);
    } catch (e) {
      if (gen === generation) connecting = undefined;
      return err(dockerMessage(e, engineAddr));
    }
  };

  return {
    ready() {
      connecting ??= connect();
      return connecting;
    },
    subscribe(id, fn) {
      let set = subs.get(id);
      if (!set) subs.set(id, (set = new Set()));
      set.add(fn);
      return () => {
        set.delete(fn);
        if (set.size === 0 && subs.get(id) === set) subs.delete(id);
      };
    },
    close() {
      generation++;
      const s = stream;
      stream = undefined;
      connecting = undefined;
      if (s) destroy(s);
    },
  };
}

function destroy(s: NodeJS.ReadableStream): void {
  (s as unknown as { destroy?: () => void }).destroy?.();
}

function parseEvent(line: string): EngineEvent | undefined {
  try {
    const j = JSON.parse(line) as { Action?: string; status?: string; id?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    const id = j.Actor?.ID ?? j.id;
    const action = j.Action ?? j.status;
    if (!id || !action) return undefined;
    return { action, id, attributes: j.Actor?.Attributes ?? {} };
  } catch {
    return undefined;
  }
}

/** Collects one subscriber's events into a queue with an awaitable `next()`. */
export function eventQueue(hub: EventHub, containerId: string) {
  const buf: EngineEvent[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = hub.subscribe(containerId, (e) => {
    buf.push(e);
    wake?.();
  });
  return {
    /** Next event, or undefined if `signal` aborted first. */
    async next(signal: AbortSignal): Promise<EngineEvent | undefined> {
      while (buf.length === 0) {
        if (signal.aborted) return undefined;
        await new Promise<void>((resolve) => {
          const onAbort = () => resolve();
          wake = () => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          };
          signal.addEventListener('abort', onAbort, { once: true });
        });
        wake = undefined;
      }
      return buf.shift();
    },
    close: unsubscribe,
  };
}

/**
 * Waits on a container's event queue for its end (die: ok on exit 0, else fatal with the exit
 * code), an unhealthy report, or (untilHealthy) a healthy one; 'lost' when the stream broke.
 */
export async function watchContainer(q: ReturnType<typeof eventQueue>, signal: AbortSignal, untilHealthy: boolean): Promise<OpResult | 'lost'> {
  for (;;) {
    const e = await q.next(signal);
    if (!e) return aborted();
    if (e.action === 'lost') return 'lost';
    if (e.action === 'die') {
      const code = Number(e.attributes['exitCode'] ?? -1);
      return code === 0 ? done({ containerId: e.id, exitCode: 0 }) : fatal(exitMessage(code), { exitCode: code, containerId: e.id });
    }
    if (e.action === 'health_status: unhealthy') return fatal('container unhealthy', { containerId: e.id });
    if (untilHealthy && e.action === 'health_status: healthy') return done({ containerId: e.id });
  }
}
