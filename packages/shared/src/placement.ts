/**
 * Validation of a task's placement and resources, run at service create and
 * update (SwarmKit's validatePlacement / validateResources, stricter: unknown
 * constraint keys and spread descriptors are refused instead of silently never
 * matching). Pure; each issue names its field.
 */
import { classifyKey, parseCidr, parseConstraint, parseIp } from './constraint.js';
import type { Resources, TaskSpec } from './objects.js';

export interface PlacementIssue {
  path: Array<string | number>;
  message: string;
}

/** More CPUs or memory than any machine has is a typo (e.g. bytes given as CPUs). */
export const MAX_NANO_CPUS = 1e6 * 1e9;
export const MAX_MEMORY_BYTES = 2 ** 60;
export const MAX_GENERIC = 1e6;
const GENERIC_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

export function validateConstraint(s: string): string | null {
  const c = parseConstraint(s);
  if (!c.ok) return `${c.error.message} at position ${c.error.position} of "${s}"`;
  const key = classifyKey(c.value.key);
  if (!key) return `unknown constraint key '${c.value.key}': use node.id, node.hostname, node.ip, node.role, node.platform.os, node.platform.arch, node.labels.<key> or engine.labels.<key>`;
  if (key.kind === 'node.ip' && !parseIp(c.value.value) && !parseCidr(c.value.value)) return `value '${c.value.value}' of node.ip is neither an IP address nor a CIDR`;
  if (key.kind === 'node.role' && !/^(manager|worker)$/i.test(c.value.value)) return `value '${c.value.value}' of node.role must be manager or worker`;
  return null;
}

export function validateSpreadDescriptor(d: string): string | null {
  const lower = d.toLowerCase();
  for (const p of ['node.labels.', 'engine.labels.']) if (lower.startsWith(p) && d.length > p.length) return null;
  return `invalid spread descriptor '${d}': must be node.labels.<key> or engine.labels.<key>`;
}

function validateResources(r: Resources, path: Array<string | number>, out: PlacementIssue[]): void {
  if (r.nanoCpus > MAX_NANO_CPUS) out.push({ path: [...path, 'nanoCpus'], message: `invalid cpu value: ${r.nanoCpus / 1e9} CPUs is more than any node has` });
  if (r.memoryBytes > MAX_MEMORY_BYTES) out.push({ path: [...path, 'memoryBytes'], message: `invalid memory value: ${r.memoryBytes} bytes is more than any node has` });
  for (const [k, v] of Object.entries(r.generic)) {
    if (!GENERIC_NAME.test(k)) out.push({ path: [...path, 'generic', k], message: `invalid generic resource name '${k}'` });
    if (!Number.isSafeInteger(v) || v < 0 || v > MAX_GENERIC) out.push({ path: [...path, 'generic', k], message: `invalid generic resource value ${v} for '${k}': must be an integer from 0 to ${MAX_GENERIC}` });
  }
}

export function validateTaskPlacement(task: TaskSpec): PlacementIssue[] {
  const out: PlacementIssue[] = [];
  const base = ['task', 'placement'];
  for (const [i, c] of task.placement.constraints.entries()) {
    const e = validateConstraint(c);
    if (e) out.push({ path: [...base, 'constraints', i], message: e });
  }
  for (const [i, p] of task.placement.preferences.entries()) {
    const e = validateSpreadDescriptor(p.spread);
    if (e) out.push({ path: [...base, 'preferences', i, 'spread'], message: e });
  }
  for (const [i, p] of task.placement.platforms.entries()) {
    if (!p.os && !p.architecture) out.push({ path: [...base, 'platforms', i], message: 'a platform needs an os or an architecture' });
  }
  if (task.placement.maxReplicas < 0) out.push({ path: [...base, 'maxReplicas'], message: 'max replicas per node must be 0 (unlimited) or more' });
  validateResources(task.resources.reservations, ['task', 'resources', 'reservations'], out);
  validateResources(task.resources.limits, ['task', 'resources', 'limits'], out);
  const { reservations: res, limits: lim } = task.resources;
  if (lim.nanoCpus !== 0 && lim.nanoCpus < 1e6) out.push({ path: ['task', 'resources', 'limits', 'nanoCpus'], message: 'invalid cpu value: must be at least 0.001' });
  if (lim.memoryBytes !== 0 && lim.memoryBytes < 4 * 1024 * 1024) out.push({ path: ['task', 'resources', 'limits', 'memoryBytes'], message: 'invalid memory value: must be at least 4MiB' });
  if (lim.memoryBytes !== 0 && res.memoryBytes > lim.memoryBytes) out.push({ path: ['task', 'resources', 'reservations', 'memoryBytes'], message: 'memory reservation must not exceed the memory limit' });
  if (lim.nanoCpus !== 0 && res.nanoCpus > lim.nanoCpus) out.push({ path: ['task', 'resources', 'reservations', 'nanoCpus'], message: 'cpu reservation must not exceed the cpu limit' });
  return out;
}
