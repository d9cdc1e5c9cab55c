/**
 * Transactions. A write transaction records its changes in an overlay over the
 * committed tables; reads see the overlay first. Several transactions of one
 * commit batch stack their overlays, so each sees the ones before it.
 */
import type { Meta, StoreChange, TableName, Tables, Task, ChangeAction } from '@swarm/shared';
import { type Result, err, ok } from '@swarm/shared';
import { type AnyObject, type BaseTables, nameOf } from './tables.js';

export type StoreError =
  | { kind: 'conflict'; message: string }
  | { kind: 'not-found'; message: string }
  | { kind: 'exists'; message: string };

export interface ReadTx {
  get<K extends TableName>(table: K, id: string): Tables[K] | undefined;
  list<K extends TableName>(table: K): Tables[K][];
  /** Exact, case-insensitive name match (nodes by hostname). */
  findByName<K extends TableName>(table: K, name: string): Tables[K] | undefined;
  tasksByService(serviceId: string): Task[];
  tasksByNode(nodeId: string): Task[];
}

/** New objects are passed without `meta`; the store stamps it. */
export type NewObject<K extends TableName> = Omit<Tables[K], 'meta'>;

export interface WriteTx extends ReadTx {
  /** The store version this transaction will commit as. */
  readonly version: number;
  readonly now: number;
  create<K extends TableName>(table: K, obj: NewObject<K>): Result<Tables[K], StoreError>;
  /** Replaces an object. `obj.meta.version` must equal the stored one (optimistic concurrency). */
  update<K extends TableName>(table: K, obj: Tables[K]): Result<Tables[K], StoreError>;
  delete(table: TableName, id: string): Result<void, StoreError>;
}

/** `null` in an overlay marks a deletion. */
export type Overlay = Map<TableName, Map<string, AnyObject | null>>;

export function createReadTx(base: BaseTables, overlays: readonly Overlay[]): ReadTx {
  const lookup = (table: TableName, id: string): AnyObject | undefined => {
    for (let i = overlays.length - 1; i >= 0; i--) {
      const o = overlays[i]?.get(table);
      if (o?.has(id)) return o.get(id) ?? undefined;
    }
    return (base[table] as Map<string, AnyObject>).get(id);
  };
  const overlaid = (table: TableName, candidates: Iterable<string>, keep: (o: AnyObject) => boolean): AnyObject[] => {
    if (overlays.every((o) => !o.get(table)?.size)) {
      // Nothing of this table changed in the batch (every view): the committed objects, without a copy of the IDs.
      const committed = base[table] as Map<string, AnyObject>;
      const out: AnyObject[] = [];
      for (const id of candidates) {
        const obj = committed.get(id);
        if (obj && keep(obj)) out.push(obj);
      }
      return out;
    }
    const ids = new Set(candidates);
    for (const o of overlays) for (const id of o.get(table)?.keys() ?? []) ids.add(id);
    const out: AnyObject[] = [];
    for (const id of ids) {
      const obj = lookup(table, id);
      if (obj && keep(obj)) out.push(obj);
    }
    return out;
  };
  const tx: ReadTx = {
    get: (table, id) => lookup(table, id) as never,
    list: (table) => {
      if (overlays.every((o) => !o.get(table)?.size)) return [...(base[table] as Map<string, AnyObject>).values()] as never;
      return overlaid(table, (base[table] as Map<string, AnyObject>).keys(), () => true) as never;
    },
    findByName: (table, name) => {
      const lower = name.toLowerCase();
      if (table !== 'services') return tx.list(table).find((o) => nameOf(table, o) === lower) as never;
      // Indexed: the objects this batch changed (newest first), then the committed name index.
      for (let i = overlays.length - 1; i >= 0; i--) {
        for (const [id, o] of overlays[i]?.get(table) ?? []) if (o && nameOf(table, o) === lower && lookup(table, id) === o) return o as never;
      }
      for (const id of base.servicesByName.get(lower) ?? []) {
        const o = lookup(table, id);
        if (o && nameOf(table, o) === lower) return o as never;
      }
      return undefined as never;
    },
    tasksByService: (serviceId) =>
      overlaid('tasks', base.tasksByService.get(serviceId) ?? [], (t) => (t as Task).serviceId === serviceId) as Task[],
    tasksByNode: (nodeId) => overlaid('tasks', base.tasksByNode.get(nodeId) ?? [], (t) => (t as Task).nodeId === nodeId) as Task[],
  };
  return tx;
}

const uniqueNames: ReadonlySet<TableName> = new Set(['services', 'clusters']);

export function createWriteTx(
  base: BaseTables,
  below: readonly Overlay[],
  version: number,
  now: number,
): { tx: WriteTx; overlay: Overlay; changes: () => StoreChange[] } {
  const overlay: Overlay = new Map();
  const actions = new Map<string, { table: TableName; id: string; action: ChangeAction }>();
  const read = createReadTx(base, [...below, overlay]);
  const put = (table: TableName, id: string, obj: AnyObject | null, action: ChangeAction) => {
    let m = overlay.get(table);
    if (!m) overlay.set(table, (m = new Map()));
    m.set(id, obj);
    const key = `${table}/${id}`;
    const prev = actions.get(key);
    // create+update stays create; create+delete disappears; update+delete is delete.
    if (prev?.action === 'create' && action === 'delete') actions.delete(key);
    else actions.set(key, { table, id, action: prev?.action === 'create' ? 'create' : action });
  };
  const stamp = (meta: Partial<Meta> | undefined): Meta => ({ version, createdAt: meta?.createdAt ?? now, updatedAt: now });

  const tx: WriteTx = {
    ...read,
    version,
    now,
    create(table, obj) {
      const id = (obj as { id: string }).id;
      if (read.get(table, id)) return err({ kind: 'exists', message: `${table} ${id} already exists` });
      if (uniqueNames.has(table)) {
        const name = nameOf(table, obj as unknown as AnyObject);
        if (read.findByName(table, name)) return err({ kind: 'exists', message: `name conflicts with an existing object: ${name}` });
      }
      const full = { ...obj, meta: stamp(undefined) } as AnyObject;
      put(table, id, full, 'create');
      return ok(full as never);
    },
    update(table, obj) {
      const cur = read.get(table, obj.id);
      if (!cur) return err({ kind: 'not-found', message: `${table} ${obj.id} not found` });
      if (cur.meta.version !== obj.meta.version) {
        return err({ kind: 'conflict', message: `update out of sequence: ${table} ${obj.id} is at version ${cur.meta.version}, not ${obj.meta.version}` });
      }
      const full = { ...obj, meta: stamp(cur.meta) } as AnyObject;
      put(table, obj.id, full, 'update');
      return ok(full as never);
    },
    delete(table, id) {
      const cur = read.get(table, id);
      if (!cur) return err({ kind: 'not-found', message: `${table} ${id} not found` });
      put(table, id, null, 'delete');
      return ok(undefined);
    },
  };
  const changes = (): StoreChange[] =>
    [...actions.values()].map(({ table, id, action }) => {
      const obj = action === 'delete' ? (createReadTx(base, below).get(table, id) as AnyObject) : (overlay.get(table)?.get(id) as AnyObject);
      return { table, action, object: obj } as StoreChange;
    });
  return { tx, overlay, changes };
}
