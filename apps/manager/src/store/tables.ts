/**
 * Base tables: the committed state. Objects are immutable by convention:
 * writers always store new objects, readers never mutate what they get.
 */
import type { Node, Service, Task, Cluster, TableName, Tables } from '@swarm/shared';

export type AnyObject = Tables[TableName];

export interface BaseTables {
  nodes: Map<string, Node>;
  services: Map<string, Service>;
  tasks: Map<string, Task>;
  clusters: Map<string, Cluster>;
  /** Secondary indexes over tasks. */
  tasksByService: Map<string, Set<string>>;
  tasksByNode: Map<string, Set<string>>;
  /** Services by lower-cased name (creates check names against it). */
  servicesByName: Map<string, Set<string>>;
}

export function emptyTables(): BaseTables {
  return {
    nodes: new Map(),
    services: new Map(),
    tasks: new Map(),
    clusters: new Map(),
    tasksByService: new Map(),
    tasksByNode: new Map(),
    servicesByName: new Map(),
  };
}

function indexAdd(index: Map<string, Set<string>>, key: string | undefined, id: string): void {
  if (!key) return;
  let s = index.get(key);
  if (!s) index.set(key, (s = new Set()));
  s.add(id);
}

function indexRemove(index: Map<string, Set<string>>, key: string | undefined, id: string): void {
  if (!key) return;
  const s = index.get(key);
  if (!s) return;
  s.delete(id);
  if (s.size === 0) index.delete(key);
}

/** Writes one object (or its deletion, `next === null`) into the base tables, keeping indexes right. */
export function applyToTables(t: BaseTables, table: TableName, id: string, next: AnyObject | null): void {
  const map = t[table] as Map<string, AnyObject>;
  const prev = map.get(id);
  if (table === 'tasks') {
    const p = prev as Task | undefined;
    const n = next as Task | null;
    if (p && (!n || p.serviceId !== n.serviceId)) indexRemove(t.tasksByService, p.serviceId, id);
    if (p && (!n || p.nodeId !== n.nodeId)) indexRemove(t.tasksByNode, p.nodeId, id);
    if (n) {
      indexAdd(t.tasksByService, n.serviceId, id);
      indexAdd(t.tasksByNode, n.nodeId, id);
    }
  }
  if (table === 'services') {
    const before = prev ? nameOf(table, prev) : undefined;
    const after = next ? nameOf(table, next) : undefined;
    if (before !== after) {
      indexRemove(t.servicesByName, before, id);
      indexAdd(t.servicesByName, after, id);
    }
  }
  if (next) map.set(id, next);
  else map.delete(id);
}

/** The name an object is looked up by (case-insensitive, as SwarmKit indexes names). */
export function nameOf(table: TableName, obj: AnyObject): string {
  if (table === 'nodes') {
    const n = obj as Node;
    return (n.description?.hostname ?? n.spec.annotations.name).toLowerCase();
  }
  if (table === 'tasks') return (obj as Task).annotations.name.toLowerCase();
  return (obj as Service | Cluster).spec.annotations.name.toLowerCase();
}
