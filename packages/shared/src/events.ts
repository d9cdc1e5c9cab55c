import type { Cluster, Node, Service, Task } from './objects.js';

/** The store's tables and the object type each holds. */
export interface Tables {
  nodes: Node;
  services: Service;
  tasks: Task;
  clusters: Cluster;
}
export type TableName = keyof Tables;
export const tableNames: readonly TableName[] = ['nodes', 'services', 'tasks', 'clusters'];

export type ChangeAction = 'create' | 'update' | 'delete';

/** One object changed in a committed transaction. `object` is the new value (the old one on delete). */
export type StoreChange = {
  [K in TableName]: { table: K; action: ChangeAction; object: Tables[K] };
}[TableName];

/** Everything one committed transaction changed, tagged with the store version it produced. */
export interface CommitEvent {
  version: number;
  changes: StoreChange[];
}

/** A full copy of the store at one version; the start of every live view. */
export interface StoreSnapshot {
  version: number;
  nodes: Node[];
  services: Service[];
  tasks: Task[];
  clusters: Cluster[];
}
