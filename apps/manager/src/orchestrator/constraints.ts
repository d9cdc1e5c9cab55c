/**
 * Node eligibility for the global and job orchestrators: placement constraints
 * (`node.id`, `node.hostname`, `node.role`, `node.platform.os|arch`,
 * `node.labels.K`, `engine.labels.K` with `==` / `!=`, swarmkit.md §6).
 * A small local matcher so the orchestrators do not import the scheduler;
 * an expression it cannot parse matches no node.
 */
import type { Node, Service } from '@swarm/shared';

function nodeValue(node: Node, key: string): string | undefined {
  const k = key.toLowerCase();
  if (k === 'node.id') return node.id;
  if (k === 'node.hostname') return node.description?.hostname ?? '';
  if (k === 'node.role') return node.role.toLowerCase();
  if (k === 'node.platform.os') return node.description?.platform.os ?? '';
  if (k === 'node.platform.arch') return node.description?.platform.architecture ?? '';
  if (k.startsWith('node.labels.')) return node.spec.annotations.labels[key.slice('node.labels.'.length)];
  if (k.startsWith('engine.labels.')) return node.description?.engine.labels[key.slice('engine.labels.'.length)];
  return undefined;
}

export function matchesConstraint(node: Node, expr: string): boolean {
  const m = /^\s*([\w.\-/]+)\s*(==|!=)\s*(.*?)\s*$/.exec(expr);
  if (!m) return false;
  const [, key, op, want] = m as unknown as [string, string, string, string];
  const have = nodeValue(node, key);
  const eq = have !== undefined && (key.toLowerCase().includes('.labels.') ? have === want : have.toLowerCase() === want.toLowerCase());
  return op === '==' ? eq : !eq;
}

export const nodeMatches = (service: Service, node: Node): boolean =>
  service.spec.task.placement.constraints.every((c) => matchesConstraint(node, c));
