/**
 * Object references as users type them: a full ID, an exact name
 * (case-insensitive) or a unique ID prefix — "not found" / "ambiguous"
 * otherwise, as swarmctl reports.
 */
import { type Result, type TableName, type Tables, err, ok } from '@swarm/shared';
import type { ReadTx } from '../store/tx.js';
import { nameOf } from '../store/tables.js';

const singular: Record<TableName, string> = { nodes: 'node', services: 'service', tasks: 'task', clusters: 'cluster' };

export function resolve<K extends TableName>(tx: ReadTx, table: K, ref: string): Result<Tables[K], string> {
  const byId = tx.get(table, ref);
  if (byId) return ok(byId);
  const lower = ref.toLowerCase();
  const all = tx.list(table);
  const byName = all.filter((o) => nameOf(table, o) === lower);
  if (byName.length === 1) return ok(byName[0] as Tables[K]);
  const matches = byName.length > 1 ? byName : all.filter((o) => o.id.startsWith(lower));
  if (matches.length === 1) return ok(matches[0] as Tables[K]);
  if (matches.length > 1) return err(`${singular[table]} ${ref} is ambiguous (${matches.length} matches found)`);
  return err(`${singular[table]} ${ref} not found`);
}
