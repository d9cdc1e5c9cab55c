/**
 * The Raft entry format of the store (format 2). An entry carries the commits
 * of one store batch, compactly:
 *
 *   update of an existing object ─► patch { id, base, set, unset }: only the
 *       top-level fields whose value changed (by reference), checked on apply
 *       against the object's version (`base`); a status report is ~200 bytes
 *       instead of the whole task
 *   delete ─► { id, base }: the deleted object is the one in the store
 *   task create ─► the task without `spec` / `serviceAnnotations`, which go
 *       once per entry into `shared` (the tasks of one service share them)
 *
 * Decoding validates what the entry carries (a patch's fields with the
 * table's schema, each shared object once) and never guesses: a patch whose
 * base is not the stored version is a corrupt entry. Format 1 entries
 * (`{ commits }` with whole objects, written before) still decode.
 */
import type { CommitEvent, StoreChange, TableName, Tables } from '@swarm/shared';
import { AnnotationsSchema, ClusterSchema, NodeSchema, ServiceSchema, TaskSchema, TaskSpecSchema, formatZodError } from '@swarm/shared';
import { z } from 'zod';
import { CommitEventSchema } from './persist.js';
import type { AnyObject } from './tables.js';

export class CorruptEntryError extends Error {}

const TableSchema = z.enum(['nodes', 'services', 'tasks', 'clusters']);
/**
 * A JSON object (what `z.record(z.string(), z.unknown())` accepts from JSON.parse), checked
 * without copying it: its fields are validated by the table's schema right after, and the
 * copy a record schema makes cost about as much as that validation.
 */
const JsonObject = z.custom<Record<string, unknown>>((x) => typeof x === 'object' && x !== null && !Array.isArray(x), 'expected an object');
const ChangeSchema = z.discriminatedUnion('a', [
  z.object({ t: TableSchema, a: z.literal('create'), o: JsonObject, s: z.tuple([z.number().int(), z.number().int()]).optional() }),
  z.object({ t: TableSchema, a: z.literal('update'), o: JsonObject }),
  z.object({ t: TableSchema, a: z.literal('patch'), id: z.string(), base: z.number().int(), set: JsonObject, unset: z.array(z.string()).optional() }),
  z.object({ t: TableSchema, a: z.literal('delete'), id: z.string(), base: z.number().int() }),
]);
type Change = z.infer<typeof ChangeSchema>;
const EntryV2Schema = z.object({ v: z.literal(2), shared: z.array(z.unknown()), commits: z.array(z.object({ version: z.number().int().positive(), changes: z.array(ChangeSchema) })) });
const LegacySchema = z.object({ commits: z.array(CommitEventSchema) });

const schemas: { [K in TableName]: z.ZodType<Tables[K]> } = { nodes: NodeSchema, services: ServiceSchema, tasks: TaskSchema, clusters: ClusterSchema } as never;
const partials = { nodes: NodeSchema.partial(), services: ServiceSchema.partial(), tasks: TaskSchema.partial(), clusters: ClusterSchema.partial() };
const TaskBodySchema = TaskSchema.omit({ spec: true, serviceAnnotations: true });

/** A decoded entry: its commits are resolved against the store one at a time, in order. */
export interface DecodedEntry {
  versions: number[];
  /** The commit at `i`, with patches and deletes completed from `get` (the store as the commits before left it). */
  resolve(i: number, get: (table: TableName, id: string) => AnyObject | undefined): CommitEvent;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `prev` answers the object as it was before these commits (the store's committed state). */
export function encodeEntry(commits: CommitEvent[], prev: (table: TableName, id: string) => AnyObject | undefined): Uint8Array {
  const shared: unknown[] = [];
  const sharedIdx = new Map<unknown, number>();
  const share = (o: unknown) => {
    let i = sharedIdx.get(o);
    if (i === undefined) sharedIdx.set(o, (i = shared.push(o) - 1));
    return i;
  };
  const seen = new Map<string, AnyObject | null>(); // table/id → value after an earlier commit of this entry
  const before = (table: TableName, id: string) => {
    const k = `${table}/${id}`;
    return seen.has(k) ? (seen.get(k) ?? undefined) : prev(table, id);
  };
  const out = commits.map((c) => {
    const changes = c.changes.map((ch): Change => {
      const obj = ch.object as AnyObject;
      const old = ch.action === 'create' ? undefined : before(ch.table, obj.id);
      if (ch.action === 'delete') {
        if (!old) throw new Error(`store bug: commit ${c.version} deletes ${ch.table} ${obj.id}, which does not exist`);
        return { t: ch.table, a: 'delete', id: obj.id, base: old.meta.version };
      }
      if (ch.action === 'update' && old) return patchOf(ch.table, old, obj);
      if (ch.table === 'tasks' && ch.action === 'create') {
        const { spec, serviceAnnotations, ...body } = obj as Tables['tasks'];
        return { t: 'tasks', a: 'create', o: body as never, s: [share(spec), share(serviceAnnotations)] };
      }
      return { t: ch.table, a: ch.action, o: obj as never };
    });
    for (const ch of c.changes) seen.set(`${ch.table}/${ch.object.id}`, ch.action === 'delete' ? null : (ch.object as AnyObject));
    return { version: c.version, changes };
  });
  return encoder.encode(JSON.stringify({ v: 2, shared, commits: out }));
}

function patchOf(table: TableName, old: AnyObject, obj: AnyObject): Change {
  const set: Record<string, unknown> = {};
  const unset: string[] = [];
  const o = obj as unknown as Record<string, unknown>;
  const p = old as unknown as Record<string, unknown>;
  for (const k of Object.keys(o)) if (o[k] !== p[k] && o[k] !== undefined) set[k] = o[k];
  for (const k of Object.keys(p)) if (p[k] !== undefined && o[k] === undefined) unset.push(k);
  return { t: table, a: 'patch', id: obj.id, base: old.meta.version, set, ...(unset.length ? { unset } : {}) };
}

const invalid = (what: string, e: z.ZodError) => new CorruptEntryError(`invalid raft entry: ${what}: ${formatZodError(e)}`);

export function decodeEntry(data: Uint8Array): DecodedEntry {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(data));
  } catch {
    throw new CorruptEntryError('raft entry is not JSON');
  }
  const v = (json as { v?: unknown } | null)?.v;
  if (v === undefined) {
    const legacy = LegacySchema.safeParse(json);
    if (!legacy.success) throw invalid('format 1', legacy.error);
    const commits = legacy.data.commits as CommitEvent[];
    return { versions: commits.map((c) => c.version), resolve: (i) => commits[i]! };
  }
  if (v !== 2) throw new CorruptEntryError(`raft entry format ${JSON.stringify(v)} is not known to this manager (it reads formats 1 and 2)`);
  const parsed = EntryV2Schema.safeParse(json);
  if (!parsed.success) throw invalid('format 2', parsed.error);
  const { shared, commits } = parsed.data;
  const sharedCache = new Map<string, unknown>();
  const sharedAs = <T>(i: number, schema: z.ZodType<T>, what: string): T => {
    const key = `${what}/${i}`;
    if (sharedCache.has(key)) return sharedCache.get(key) as T;
    if (i < 0 || i >= shared.length) throw new CorruptEntryError(`invalid raft entry: shared ${what} ${i} is missing`);
    const r = schema.safeParse(shared[i]);
    if (!r.success) throw invalid(`shared ${what} ${i}`, r.error);
    sharedCache.set(key, r.data);
    return r.data;
  };
  return {
    versions: commits.map((c) => c.version),
    resolve(i, get) {
      const c = commits[i]!;
      return { version: c.version, changes: c.changes.map((ch) => resolveChange(ch, get, sharedAs)) };
    },
  };
}

function resolveChange(ch: Change, get: (table: TableName, id: string) => AnyObject | undefined, sharedAs: <T>(i: number, s: z.ZodType<T>, what: string) => T): StoreChange {
  if (ch.a === 'create' && ch.t === 'tasks' && ch.s) {
    const body = TaskBodySchema.safeParse(ch.o);
    if (!body.success) throw invalid(`task ${String(ch.o['id'])}`, body.error);
    const task = { ...body.data, spec: sharedAs(ch.s[0], TaskSpecSchema, 'spec'), serviceAnnotations: sharedAs(ch.s[1], AnnotationsSchema, 'annotations') };
    return { table: 'tasks', action: 'create', object: task as Tables['tasks'] };
  }
  if (ch.a === 'create' || ch.a === 'update') {
    const r = schemas[ch.t].safeParse(ch.o);
    if (!r.success) throw invalid(`${ch.t} ${String(ch.o['id'])}`, r.error);
    return { table: ch.t, action: ch.a, object: r.data } as StoreChange;
  }
  const cur = get(ch.t, ch.id);
  if (!cur || cur.meta.version !== ch.base) {
    const verb = ch.a === 'delete' ? 'deletes' : 'patches';
    throw new CorruptEntryError(`raft entry ${verb} ${ch.t} ${ch.id} at version ${ch.base}, but this store has it at ${cur ? `version ${cur.meta.version}` : 'no such object'}`);
  }
  if (ch.a === 'delete') return { table: ch.t, action: 'delete', object: cur } as StoreChange;
  const stored = cur as unknown as Record<string, unknown>;
  const keys = Object.keys(ch.set);
  // A field equal to a stored value of the same schema is that (validated) value: no second validation.
  const known = new Map<string, unknown>();
  let unchecked: Record<string, unknown> | undefined;
  for (const k of keys) {
    const same = storedEqual(ch.t, stored, k, ch.set[k]);
    if (same !== undefined) known.set(k, same);
    else (unchecked ??= {})[k] = ch.set[k];
  }
  let data: Record<string, unknown> = {};
  if (unchecked) {
    const r = partials[ch.t].safeParse(unchecked);
    if (!r.success) throw invalid(`patch of ${ch.t} ${ch.id}`, r.error);
    data = r.data as Record<string, unknown>;
  }
  const next: Record<string, unknown> = { ...stored };
  // Only the fields the patch names (the partial schema may fill in defaults for the others).
  for (const k of keys) next[k] = known.has(k) ? known.get(k) : data[k];
  for (const k of ch.unset ?? []) delete next[k];
  if (next['id'] !== ch.id) throw new CorruptEntryError(`raft entry patches ${ch.t} ${ch.id} into another id`);
  return { table: ch.t, action: 'update', object: next as never } as StoreChange;
}

/**
 * Fields whose stored values were validated with the same schema as another field's
 * (a service's spec and previous spec: an update moves the spec to `previousSpec`).
 */
const sameSchemaFields: Partial<Record<TableName, Record<string, readonly string[]>>> = {
  services: { spec: ['spec', 'previousSpec'], previousSpec: ['previousSpec', 'spec'] },
};

/**
 * The stored value a patched field equals, if any. Everything in the store was validated
 * (and completed with defaults) by the table's schema when it was applied, and the table
 * schemas have no transforms, so validating an equal value would return an equal value:
 * the stored one is used instead (same content; its key order is the schema's, as a
 * validated value's would be).
 */
function storedEqual(table: TableName, stored: Record<string, unknown>, field: string, value: unknown): unknown {
  for (const f of sameSchemaFields[table]?.[field] ?? [field]) {
    const v = Object.hasOwn(stored, f) ? stored[f] : undefined;
    if (v !== undefined && sameJson(value, v)) return v;
  }
  return undefined;
}

/** Deep equality of JSON values (plain objects, arrays, primitives; -0 is not 0). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const kx = Object.keys(x);
  if (kx.length !== Object.keys(y).length) return false;
  for (const k of kx) if (!Object.hasOwn(y, k) || !sameJson(x[k], y[k])) return false;
  return true;
}
