/**
 * Test builders and fakes shared by the manager's unit tests: objects with
 * sensible defaults, a manual clock, and recording proposers.
 */
import type { Clock, CommitEvent, Node, Service, ServiceSpec, Task, TaskSpec } from '@swarm/shared';
import { TaskState } from '@swarm/shared';
import type { Proposer } from '../store/store.js';

export function taskSpec(over: Partial<TaskSpec> = {}): TaskSpec {
  return {
    container: { image: 'nginx:latest', command: [], args: [], env: [], labels: {} },
    resources: { limits: { nanoCpus: 0, memoryBytes: 0, generic: {} }, reservations: { nanoCpus: 0, memoryBytes: 0, generic: {} } },
    placement: { constraints: [], preferences: [], platforms: [], maxReplicas: 0 },
    forceUpdate: 0,
    ...over,
  };
}

export function serviceSpec(name = 'web', over: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    annotations: { name, labels: {} },
    task: taskSpec(),
    mode: { kind: 'replicated', replicas: 1 },
    ...over,
  };
}

export function makeService(over: Partial<Service> & { replicas?: number } = {}): Service {
  const { replicas, ...rest } = over;
  const spec = rest.spec ?? serviceSpec('web', { mode: { kind: 'replicated', replicas: replicas ?? 1 } });
  return {
    id: 'svc1',
    meta: { version: 1, createdAt: 0, updatedAt: 0 },
    specVersion: 1,
    ...rest,
    spec,
  };
}

export function makeNode(id: string, over: { state?: Node['status']['state']; availability?: Node['spec']['availability']; cpus?: number; memory?: number; images?: string[] } = {}): Node {
  return {
    id,
    meta: { version: 1, createdAt: 0, updatedAt: 0 },
    spec: { annotations: { name: '', labels: {} }, desiredRole: 'WORKER', membership: 'ACCEPTED', availability: over.availability ?? 'ACTIVE' },
    description: {
      hostname: `host-${id}`,
      platform: { os: 'linux', architecture: 'x86_64' },
      resources: { nanoCpus: over.cpus ?? 4e9, memoryBytes: over.memory ?? 8 * 1024 ** 3, generic: {} },
      engine: { engineVersion: 'test', labels: {}, plugins: [], ...(over.images ? { images: over.images } : {}) },
      executor: 'sim',
    },
    status: { state: over.state ?? 'READY', message: '', addr: '127.0.0.1' },
    role: 'WORKER',
  };
}

export interface TaskOpts {
  id: string;
  slot?: number;
  nodeId?: string;
  state?: TaskState;
  desired?: TaskState;
  createdAt?: number;
  specVersion?: number;
  serviceId?: string;
  startAfter?: number;
  spec?: TaskSpec;
  version?: number;
}

export function makeTask(o: TaskOpts, service?: Service): Task {
  const spec = o.spec ?? service?.spec.task ?? taskSpec();
  return {
    id: o.id,
    meta: { version: o.version ?? 1, createdAt: o.createdAt ?? 0, updatedAt: o.createdAt ?? 0 },
    spec,
    specVersion: o.specVersion ?? service?.specVersion ?? 1,
    serviceId: o.serviceId ?? service?.id ?? 'svc1',
    slot: o.slot ?? 1,
    ...(o.nodeId ? { nodeId: o.nodeId } : {}),
    annotations: { name: '', labels: {} },
    serviceAnnotations: service?.spec.annotations ?? { name: 'web', labels: {} },
    status: { timestamp: o.createdAt ?? 0, state: o.state ?? TaskState.RUNNING, message: '' },
    desiredState: o.desired ?? TaskState.RUNNING,
    ...(o.startAfter !== undefined ? { startAfter: o.startAfter } : {}),
  };
}

/** A clock that only moves when told to; timers fire synchronously inside `advance`. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
  pending(): number;
}

export function manualClock(start = 1_000_000): ManualClock {
  let now = start;
  let timers: Array<{ at: number; fn: () => void; seq: number }> = [];
  let n = 0;
  const fire = () => {
    for (;;) {
      timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const t = timers[0];
      if (!t || t.at > now) return;
      timers.shift();
      t.fn();
    }
  };
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const t = { at: now + Math.max(0, ms), fn, seq: n++ };
      timers.push(t);
      return { cancel: () => void (timers = timers.filter((x) => x !== t)) };
    },
    advance(ms) {
      now += ms;
      fire();
    },
    set(ms) {
      now = ms;
      fire();
    },
    pending: () => timers.length,
  };
}

/** Records every propose call; `gate()` holds proposals until released, `failNext()` rejects. */
export interface RecordingProposer extends Proposer {
  calls: CommitEvent[][];
  hold(): void;
  release(): void;
  failWith(message: string | undefined): void;
}

export function recordingProposer(): RecordingProposer {
  const calls: CommitEvent[][] = [];
  let held: Array<() => void> | undefined;
  let failure: string | undefined;
  return {
    calls,
    async propose(commits) {
      calls.push(structuredClone(commits));
      if (held) await new Promise<void>((r) => held?.push(r));
      if (failure !== undefined) throw new Error(failure);
    },
    hold() {
      held = [];
    },
    release() {
      const h = held ?? [];
      held = undefined;
      h.forEach((f) => f());
    },
    failWith(message) {
      failure = message;
    },
  };
}
