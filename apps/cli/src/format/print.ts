/**
 * The human-readable output of every command, as pure functions of API
 * objects (so they are unit-testable): list tables with swarmctl's columns
 * and the "Key : value" inspect blocks.
 */
import { type Cluster, type Node, type Service, type Task, TaskState, taskStateName } from '@swarm/shared';
import type { Resolver } from '../commands/common.js';
import { INSPECT_BLOCK, TASK_TABLE, header, table, tabwrite } from './table.js';
import { ago, goDuration, rfc3339 } from './time.js';
import { cpus, iBytes } from './units.js';

/** Appends `line` (a Go format with one %s already substituted) only when the value is non-empty: common.FprintfIfNotEmpty. */
const ifNotEmpty = (label: string, value: string | undefined): string => (value ? `${label}\t: ${value}\n` : '');

// ------------------------------------------------------------------ nodes

/** The name swarmctl shows for a node: its spec name, else the hostname it reported. */
export function nodeName(n: Node): string {
  return n.spec.annotations.name || n.description?.hostname || '';
}

/**
 * The "Manager Status" column. With managerStatus: its reachability, plus
 * " *" on the leader. Without it a manager shows UNKNOWN, as swarmctl does —
 * except the manager answering this request when it is the only manager:
 * that one is, by construction, the reachable leader (the API does not fill
 * managerStatus yet).
 */
export function managerStatusText(n: Node, ctx: { selfId?: string | undefined; managerCount?: number } = {}): string {
  if (n.managerStatus) return `${n.managerStatus.reachability}${n.managerStatus.leader ? ' *' : ''}`;
  if (n.spec.desiredRole !== 'MANAGER' && n.role !== 'MANAGER') return '';
  if (ctx.selfId === n.id && ctx.managerCount === 1) return 'REACHABLE *';
  return 'UNKNOWN';
}

export function nodesTable(nodes: Node[], selfId?: string): string {
  const managerCount = nodes.filter((n) => n.role === 'MANAGER' || n.spec.desiredRole === 'MANAGER').length;
  return table(
    ['ID', 'Name', 'Membership', 'Status', 'Availability', 'Manager Status'],
    nodes.map((n) => [n.id, nodeName(n), n.spec.membership, n.status.state, n.spec.availability, managerStatusText(n, { selfId, managerCount })]),
  );
}

const sortedPairs = (m: Record<string, string>): string => Object.keys(m).sort().map((k) => ` ${k}=${m[k]}`).join('');

/** What the tasks counted on a node hold (the scheduler's view: observed ≤ RUNNING). */
export function reservedBy(tasks: readonly Task[]): { nanoCpus: number; memoryBytes: number; generic: Record<string, number> } {
  const r = { nanoCpus: 0, memoryBytes: 0, generic: {} as Record<string, number> };
  for (const t of tasks) {
    if (!t.nodeId || t.status.state > TaskState.RUNNING) continue;
    const want = t.spec.resources.reservations;
    r.nanoCpus += want.nanoCpus;
    r.memoryBytes += want.memoryBytes;
    for (const [k, v] of Object.entries(want.generic)) r.generic[k] = (r.generic[k] ?? 0) + v;
  }
  return r;
}

/** `reserved`: what the node's tasks hold (see reservedBy); shown when given. */
export function nodeSummary(n: Node, selfId?: string, reserved?: ReturnType<typeof reservedBy>): string {
  let s = ifNotEmpty('ID', n.id);
  if (n.description) s += ifNotEmpty('Hostname', n.description.hostname);
  const labels = n.spec.annotations.labels;
  if (Object.keys(labels).length > 0) s += `Node Labels\t:${sortedPairs(labels)}\n`;
  s += 'Status:\t\n';
  s += ifNotEmpty('  State', n.status.state);
  s += ifNotEmpty('  Message', n.status.message);
  s += ifNotEmpty('  Availability', n.spec.availability);
  s += ifNotEmpty('  Address', n.status.addr);
  if (n.managerStatus) {
    s += 'Manager status:\t\n';
    s += ifNotEmpty('  Address', n.managerStatus.addr);
    s += ifNotEmpty('  Raft status', n.managerStatus.reachability);
    s += ifNotEmpty('  Leader', n.managerStatus.leader ? 'yes' : 'no');
  } else if (n.role === 'MANAGER' || n.spec.desiredRole === 'MANAGER') {
    const reach = managerStatusText(n, { selfId, managerCount: selfId === n.id ? 1 : 0 });
    s += 'Manager status:\t\n';
    s += ifNotEmpty('  Raft status', reach.replace(' *', ''));
    s += ifNotEmpty('  Leader', reach.endsWith('*') ? 'yes' : 'no');
  }
  const d = n.description;
  if (d) {
    s += 'Platform:\t\n';
    s += ifNotEmpty('  Operating System', d.platform.os);
    s += ifNotEmpty('  Architecture', d.platform.architecture);
    s += 'Resources:\t\n';
    s += `  CPUs\t: ${Math.trunc(d.resources.nanoCpus / 1e9)}\n`;
    s += `  Memory\t: ${iBytes(d.resources.memoryBytes)}\n`;
    s += '  Generic Resources:\t\n';
    for (const [k, v] of Object.entries(d.resources.generic)) s += `    ${k}\t: ${v}\n`;
    if (reserved) {
      s += 'Reserved:\t\n';
      s += `  CPUs\t: ${cpus(reserved.nanoCpus)}\n`;
      s += `  Memory\t: ${iBytes(reserved.memoryBytes)}\n`;
      const kinds = Object.keys(reserved.generic).sort();
      if (kinds.length > 0) {
        s += '  Generic Resources:\t\n';
        for (const k of kinds) s += `    ${k}\t: ${reserved.generic[k]}\n`;
      }
    }
    s += 'Plugins:\t\n';
    const byType = new Map<string, string[]>();
    for (const p of d.engine.plugins) byType.set(p.type, [...(byType.get(p.type) ?? []), p.name]);
    for (const t of [...byType.keys()].sort()) s += `  ${t}\t: [${byType.get(t)!.join(' ')}]\n`;
    s += ifNotEmpty('Engine Version', d.engine.engineVersion);
    if (Object.keys(d.engine.labels).length > 0) s += `Engine Labels\t:${sortedPairs(d.engine.labels)}\n`;
    s += ifNotEmpty('Executor', d.executor);
  }
  return tabwrite(s, INSPECT_BLOCK);
}

// ------------------------------------------------------------------ services

export interface ServiceListItem {
  service: Service;
  running: number;
  desired: number;
}

/** "running/desired" for replicated services, "global" for global ones. */
export function replicasText(s: Service, running: number, desired?: number): string {
  switch (s.spec.mode.kind) {
    case 'global':
      return 'global';
    case 'replicated':
      return `${running}/${s.spec.mode.replicas}`;
    case 'replicated-job':
      return `${running}/${desired ?? s.spec.mode.maxConcurrent} (job)`;
    case 'global-job':
      return 'global (job)';
  }
}

export function servicesTable(items: ServiceListItem[]): string {
  return table(
    ['ID', 'Name', 'Image', 'Replicas'],
    items.map(({ service: s, running, desired }) => [s.id, s.spec.annotations.name, s.spec.task.container.image, replicasText(s, running, desired)]),
  );
}

/** Go's %q for a string (close enough: JSON string syntax). */
const quote = (s: string): string => JSON.stringify(s);

function resourcesBlock(title: string, r: { nanoCpus: number; memoryBytes: number; generic: Record<string, number> }): string {
  if (r.nanoCpus === 0 && r.memoryBytes === 0 && Object.keys(r.generic).length === 0) return '';
  let s = `    ${title}:\t\n`;
  if (r.nanoCpus !== 0) s += `      CPU\t: ${cpus(r.nanoCpus)}\n`;
  if (r.memoryBytes !== 0) s += `      Memory\t: ${iBytes(r.memoryBytes)}\n`;
  if (Object.keys(r.generic).length > 0) {
    s += '      Generic Resources\t\n';
    for (const [k, v] of Object.entries(r.generic)) s += `        ${k}\t: ${v}\n`;
  }
  return s;
}

export function serviceSummary(svc: Service, running: number, now: number = Date.now()): string {
  const spec = svc.spec;
  let s = ifNotEmpty('ID', svc.id);
  s += ifNotEmpty('Name', spec.annotations.name);
  const labels = spec.annotations.labels;
  if (Object.keys(labels).length > 0) {
    s += 'Labels\t\n';
    for (const k of Object.keys(labels).sort()) s += `  ${k}\t: ${labels[k]}\n`;
  }
  s += ifNotEmpty('Replicas', replicasText(svc, running));
  if (svc.updateStatus) {
    const u = svc.updateStatus;
    s += 'Update Status\t\n';
    s += ` State\t: ${u.state.toUpperCase()}\n`;
    if (u.startedAt !== undefined) s += ` Started\t: ${ago(u.startedAt, now)}\n`;
    if ((u.state === 'completed' || u.state === 'rollback_completed') && u.completedAt !== undefined) s += ` Completed\t: ${ago(u.completedAt, now)}\n`;
    s += ` Message\t: ${u.message}\n`;
  }
  const task = spec.task;
  const ctr = task.container;
  s += 'Template\t\n';
  s += ' Container\t\n';
  s += ifNotEmpty('  Image', ctr.image);
  if (ctr.command.length > 0) s += `  Command\t: ${quote(ctr.command.join(' '))}\n`;
  if (ctr.args.length > 0) s += `  Args\t: [${ctr.args.join(', ')}]\n`;
  if (ctr.env.length > 0) s += `  Env\t: [${ctr.env.join(', ')}]\n`;
  if (task.placement.constraints.length > 0) s += `  Constraints\t: ${task.placement.constraints.join(', ')}\n`;
  if (task.placement.preferences.length > 0) s += `  Placement Preferences\t: ${task.placement.preferences.map((p) => `spread=${p.spread}`).join(', ')}\n`;
  if (task.placement.maxReplicas > 0) s += `  Max Replicas Per Node\t: ${task.placement.maxReplicas}\n`;
  if (task.placement.platforms.length > 0) s += `  Platforms\t: ${task.placement.platforms.map((p) => `${p.os || '*'}/${p.architecture || '*'}`).join(', ')}\n`;
  const reservations = resourcesBlock('Reservations', task.resources.reservations);
  const limits = resourcesBlock('Limits', task.resources.limits);
  if (reservations || limits) s += `  Resources\t\n${reservations}${limits}`;
  const ports = svc.spec.endpoint?.ports ?? [];
  if (ports.length > 0) {
    s += '\nPorts:\n';
    for (const p of ports) {
      s += `    - Name\t= ${p.name}\n`;
      s += `      Protocol\t= ${p.protocol}\n`;
      s += `      Port\t= ${p.targetPort}\n`;
      s += `      SwarmPort\t= ${p.publishedPort}\n`;
    }
  }
  return tabwrite(s, INSPECT_BLOCK);
}

// ------------------------------------------------------------------ tasks

/** "RUNNING 3 minutes ago". */
export function lastState(t: Task, now: number = Date.now()): string {
  return `${taskStateName(t.status.state)} ${ago(t.status.timestamp, now)}`;
}

/** `task ls` rows, in a stable order: service name, slot (or node), newest first. */
export function tasksTable(tasks: Task[], res: Resolver, now: number = Date.now()): string {
  const rows = [...tasks]
    .sort((a, b) => {
      const sa = res.service(a.serviceId);
      const sb = res.service(b.serviceId);
      if (sa !== sb) return sa < sb ? -1 : 1;
      if (a.slot !== b.slot) return a.slot - b.slot;
      if ((a.nodeId ?? '') !== (b.nodeId ?? '')) return (a.nodeId ?? '') < (b.nodeId ?? '') ? -1 : 1;
      return b.meta.createdAt - a.meta.createdAt;
    })
    .map((t) => [t.id, `${res.service(t.serviceId)}.${t.slot}`, taskStateName(t.desiredState), lastState(t, now), res.node(t.nodeId)]);
  return table(['ID', 'Service', 'Desired State', 'Last State', 'Node'], rows);
}

/** The task table of `service inspect` / `node inspect` (task.Print): by slot, newest first; `all` keeps history. */
export function taskPrint(tasks: Task[], all: boolean, res: Resolver, now: number = Date.now()): string {
  const rows = [...tasks]
    .sort((a, b) => (a.slot !== b.slot ? a.slot - b.slot : b.meta.createdAt - a.meta.createdAt))
    .filter((t) => all || t.desiredState <= TaskState.RUNNING)
    .map((t) => [t.id, t.serviceAnnotations.name, String(t.slot), t.spec.container.image, taskStateName(t.desiredState), lastState(t, now), res.node(t.nodeId)]);
  return tabwrite(header('Task ID', 'Service', 'Slot', 'Image', 'Desired State', 'Last State', 'Node') + rows.map((r) => `${r.join('\t')}\n`).join(''), TASK_TABLE);
}

/** Why tasks wait for a node ("no suitable node (...)"), grouped by reason: shown under `service inspect`. */
export function pendingReasons(tasks: readonly Task[]): string {
  const by = new Map<string, number>();
  for (const t of tasks) if (t.status.state <= TaskState.PENDING && t.desiredState <= TaskState.RUNNING && t.status.err) by.set(t.status.err, (by.get(t.status.err) ?? 0) + 1);
  if (by.size === 0) return '';
  return [...by].map(([why, n]) => `Pending: ${n} task${n === 1 ? '' : 's'}: ${why}\n`).join('');
}

export function taskSummary(t: Task, res: Resolver): string {
  let s = `ID\t: ${t.id}\n`;
  s += `Slot\t: ${t.slot}\n`;
  s += `Service\t: ${res.service(t.serviceId)}\n`;
  s += 'Status\t\n';
  s += `  Desired State\t: ${taskStateName(t.desiredState)}\n`;
  s += `  Last State\t: ${taskStateName(t.status.state)}\n`;
  s += `  Timestamp\t: ${rfc3339(t.status.timestamp)}\n`;
  if (t.status.message) s += `  Message\t: ${t.status.message}\n`;
  if (t.status.err) s += `  Error\t: ${t.status.err}\n`;
  const c = t.status.container;
  if (c) {
    if (c.containerId) s += `  ContainerID:\t: ${c.containerId}\n`;
    if (c.pid !== 0) s += `  Pid\t: ${c.pid}\n`;
    if (t.status.state > TaskState.RUNNING) s += `  ExitCode\t: ${c.exitCode ?? 0}\n`;
  }
  s += `Node\t: ${res.node(t.nodeId)}\n`;
  s += 'Spec\t\n';
  const ctr = t.spec.container;
  s += ifNotEmpty('  Image', ctr.image);
  if (ctr.command.length > 0) s += `  Command\t: ${quote(ctr.command.join(' '))}\n`;
  if (ctr.args.length > 0) s += `  Args\t: [${ctr.args.join(', ')}]\n`;
  if (ctr.env.length > 0) s += `  Env\t: [${ctr.env.join(', ')}]\n`;
  return tabwrite(s, INSPECT_BLOCK);
}

// ------------------------------------------------------------------ cluster

export function clusterSummary(c: Cluster & { caFingerprint?: string | undefined }): string {
  let s = ifNotEmpty('ID', c.id);
  s += ifNotEmpty('Name', c.spec.annotations.name);
  s += 'Orchestration settings:\n';
  s += `  Task history entries: ${c.spec.orchestration.taskHistoryRetentionLimit}\n`;
  s += 'Dispatcher settings:\n';
  s += `  Dispatcher heartbeat period: ${goDuration(c.spec.dispatcher.heartbeatPeriodMs)}\n`;
  if (c.spec.dispatcher.maxHeartbeatsPerSecond !== undefined) s += `  Max heartbeats per second: ${c.spec.dispatcher.maxHeartbeatsPerSecond}\n`;
  s += 'Certificate Authority settings:\n';
  s += `  Certificate Validity Duration: ${goDuration(c.spec.caConfig.nodeCertExpiryMs)}\n`;
  if (c.rootCa) {
    if (c.rootCa.caCertHash) s += `  CA Certificate Hash: ${c.rootCa.caCertHash}\n`;
    if (c.caFingerprint) s += `  CA Fingerprint: ${c.caFingerprint}\n`;
    s += '  Join Tokens:\n';
    s += `    Worker: ${c.rootCa.joinTokens.worker}\n`;
    s += `    Manager: ${c.rootCa.joinTokens.manager}\n`;
  }
  return tabwrite(s, INSPECT_BLOCK);
}
