/**
 * The cluster's event timeline, derived in the browser from the commit
 * stream the tab already receives: no extra API, no polling. `events()` is a
 * pure function of one commit and the tables as they were before it; the live
 * store keeps the last `MAX_EVENTS` of them.
 */
import { TaskState, taskStateName, type CommitEvent, type Node, type Service, type Task } from '@swarm/shared';

export type EventKind = 'service' | 'task' | 'node';
export type EventSeverity = 'info' | 'ok' | 'warn' | 'error';

export interface LiveEvent {
  /** `<store version>:<index in the commit>`: unique and ordered. */
  id: string;
  version: number;
  /** Server time (ms) of the change: the task status timestamp or the object's `meta.updatedAt`. */
  at: number;
  kind: EventKind;
  /** Short verb: created, updated, scaled, removed, running, failed, rejected, ready, down, drain… */
  action: string;
  severity: EventSeverity;
  objectId: string;
  /** Human name: service name, `web.2`, node hostname. */
  objectName: string;
  /** One-line description. */
  message: string;
  /** The error text (task failures, update pauses). */
  error?: string;
  serviceId?: string;
  nodeId?: string;
}

export const MAX_EVENTS = 2000;

/** The tables as they were before the commit (only `get` is used). */
export interface EventTables {
  nodes: ReadonlyMap<string, Node>;
  services: ReadonlyMap<string, Service>;
  tasks: ReadonlyMap<string, Task>;
}

// Defensive reads: the derivation must never throw inside the store, whatever a commit holds.
const nodeLabel = (n: Node): string => n.description?.hostname || n.spec?.annotations?.name || n.id.slice(0, 12);
function taskLabel(t: Task): string {
  if (t.annotations?.name) return t.annotations.name;
  const svc = t.serviceAnnotations?.name || t.serviceId;
  return t.slot ? `${svc}.${t.slot}` : `${svc}.${(t.nodeId ?? '').slice(0, 12)}`;
}
const replicasOf = (s: Service): number | undefined => (s.spec?.mode?.kind === 'replicated' ? s.spec.mode.replicas : undefined);

/** Task states worth a timeline entry (the intermediate ones would drown it). */
const TASK_STATES: Partial<Record<number, { action: string; severity: EventSeverity }>> = {
  [TaskState.RUNNING]: { action: 'running', severity: 'ok' },
  [TaskState.COMPLETE]: { action: 'complete', severity: 'info' },
  [TaskState.SHUTDOWN]: { action: 'shutdown', severity: 'info' },
  [TaskState.FAILED]: { action: 'failed', severity: 'error' },
  [TaskState.REJECTED]: { action: 'rejected', severity: 'error' },
  [TaskState.ORPHANED]: { action: 'orphaned', severity: 'warn' },
};

const UPDATE_STATES: Record<string, { text: string; severity: EventSeverity }> = {
  updating: { text: 'update started', severity: 'info' },
  paused: { text: 'update paused', severity: 'warn' },
  completed: { text: 'update completed', severity: 'ok' },
  rollback_started: { text: 'rollback started', severity: 'warn' },
  rollback_paused: { text: 'rollback paused', severity: 'error' },
  rollback_completed: { text: 'rollback completed', severity: 'warn' },
};

function serviceEvents(action: 'create' | 'update' | 'delete', s: Service, prev: Service | undefined, push: (e: Omit<LiveEvent, 'id' | 'version'>) => void): void {
  const base = { kind: 'service' as const, objectId: s.id, objectName: s.spec?.annotations?.name ?? s.id, serviceId: s.id, at: s.meta.updatedAt };
  if (action === 'create') {
    const r = replicasOf(s);
    push({ ...base, action: 'created', severity: 'info', message: `Service ${base.objectName} created${r !== undefined ? ` (${r} replica${r === 1 ? '' : 's'})` : ''}` });
    return;
  }
  if (action === 'delete') {
    push({ ...base, action: 'removed', severity: 'info', message: `Service ${base.objectName} removed` });
    return;
  }
  if (!prev) return;
  const r0 = replicasOf(prev);
  const r1 = replicasOf(s);
  if (r0 !== undefined && r1 !== undefined && r0 !== r1) {
    push({ ...base, action: 'scaled', severity: 'info', message: `Service ${base.objectName} scaled from ${r0} to ${r1}` });
  } else if (s.specVersion !== prev.specVersion) {
    push({ ...base, action: 'updated', severity: 'info', message: `Service ${base.objectName} updated` });
  }
  const u0 = prev.updateStatus?.state;
  const u1 = s.updateStatus?.state;
  if (u1 && u1 !== u0) {
    const u = UPDATE_STATES[u1] ?? { text: `update ${u1}`, severity: 'info' as const };
    const msg = s.updateStatus?.message || undefined;
    push({ ...base, action: u1, severity: u.severity, message: `Service ${base.objectName}: ${u.text}${msg ? `: ${msg}` : ''}`, error: u.severity === 'info' || u.severity === 'ok' ? undefined : msg });
  }
}

function taskEvents(action: 'create' | 'update' | 'delete', t: Task, prev: Task | undefined, push: (e: Omit<LiveEvent, 'id' | 'version'>) => void): void {
  if (action === 'delete') return; // history pruning, not news
  const state = t.status.state;
  if (prev && prev.status.state === state) return;
  const entry = TASK_STATES[state];
  if (!entry) return;
  const name = taskLabel(t);
  const err = t.status.err || undefined;
  const from = prev ? ` (was ${taskStateName(prev.status.state).toLowerCase()})` : '';
  push({
    kind: 'task',
    action: entry.action,
    severity: entry.severity,
    objectId: t.id,
    objectName: name,
    serviceId: t.serviceId,
    nodeId: t.nodeId ?? undefined,
    at: t.status.timestamp || t.meta?.updatedAt || 0,
    message: `Task ${name} ${entry.action}${from}${err ? `: ${err}` : ''}`,
    error: entry.severity === 'error' || entry.severity === 'warn' ? (err ?? (t.status.message || undefined)) : undefined,
  });
}

function nodeEvents(action: 'create' | 'update' | 'delete', n: Node, prev: Node | undefined, push: (e: Omit<LiveEvent, 'id' | 'version'>) => void): void {
  const name = nodeLabel(n);
  const base = { kind: 'node' as const, objectId: n.id, objectName: name, nodeId: n.id, at: n.meta.updatedAt };
  if (action === 'create') {
    push({ ...base, action: 'joined', severity: 'info', message: `Node ${name} joined as ${n.role.toLowerCase()}` });
    return;
  }
  if (action === 'delete') {
    push({ ...base, action: 'removed', severity: 'info', message: `Node ${name} removed` });
    return;
  }
  if (!prev) return;
  if (prev.status.state !== n.status.state) {
    const s = n.status.state;
    const severity: EventSeverity = s === 'READY' ? 'ok' : s === 'DOWN' ? 'error' : 'warn';
    const msg = n.status.message || undefined;
    push({ ...base, action: s.toLowerCase(), severity, message: `Node ${name} is ${s.toLowerCase()}${msg && s !== 'READY' ? `: ${msg}` : ''}`, error: severity === 'ok' ? undefined : msg });
  }
  if (prev.spec.availability !== n.spec.availability) {
    const a = n.spec.availability;
    push({ ...base, action: a.toLowerCase(), severity: a === 'ACTIVE' ? 'ok' : 'warn', message: `Node ${name} availability ${prev.spec.availability.toLowerCase()} → ${a.toLowerCase()}` });
  }
  if (prev.role !== n.role) {
    push({ ...base, action: n.role === 'MANAGER' ? 'promoted' : 'demoted', severity: 'info', message: `Node ${name} is now a ${n.role.toLowerCase()}` });
  }
  const m0 = prev.managerStatus;
  const m1 = n.managerStatus;
  if (m1?.leader && !m0?.leader) push({ ...base, action: 'leader', severity: 'info', message: `Node ${name} became the Raft leader` });
  if (m1 && m0 && m1.reachability !== m0.reachability) {
    const r = m1.reachability;
    push({ ...base, action: r.toLowerCase(), severity: r === 'REACHABLE' ? 'ok' : 'error', message: `Manager ${name} is ${r.toLowerCase()}` });
  }
}

/**
 * The timeline entries one commit produces, in commit order. `before` is the
 * tables as they were before the commit; an object changed twice in one
 * commit is compared with its own earlier value.
 */
export function events(commit: CommitEvent, before: EventTables): LiveEvent[] {
  const out: LiveEvent[] = [];
  const seen = new Map<string, unknown>();
  const push = (e: Omit<LiveEvent, 'id' | 'version'>) => out.push({ ...e, id: `${commit.version}:${out.length}`, version: commit.version });
  for (const c of commit.changes) {
    const key = `${c.table}/${c.object.id}`;
    const prior = seen.has(key) ? seen.get(key) : c.table === 'clusters' ? undefined : before[c.table].get(c.object.id);
    seen.set(key, c.action === 'delete' ? undefined : c.object);
    switch (c.table) {
      case 'services':
        serviceEvents(c.action, c.object, prior as Service | undefined, push);
        break;
      case 'tasks':
        taskEvents(c.action, c.object, prior as Task | undefined, push);
        break;
      case 'nodes':
        nodeEvents(c.action, c.object, prior as Node | undefined, push);
        break;
      default:
        break;
    }
  }
  return out;
}

export interface EventFilter {
  kind?: EventKind | '';
  /** Object ID or name (exact), e.g. a service's ID or `web.2`; service/node IDs match related events too. */
  object?: string;
  /** Free text, case-insensitive, over message and names. */
  text?: string;
  /** Only warnings and errors. */
  problems?: boolean;
}

export function matchesEvent(e: LiveEvent, f: EventFilter): boolean {
  if (f.kind && e.kind !== f.kind) return false;
  if (f.problems && e.severity !== 'warn' && e.severity !== 'error') return false;
  if (f.object) {
    const o = f.object;
    if (e.objectId !== o && e.objectName !== o && e.serviceId !== o && e.nodeId !== o && !e.objectName.startsWith(`${o}.`)) return false;
  }
  if (f.text) {
    const q = f.text.trim().toLowerCase();
    if (q && !`${e.message} ${e.objectName} ${e.action} ${e.objectId}`.toLowerCase().includes(q)) return false;
  }
  return true;
}
