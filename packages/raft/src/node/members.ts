/**
 * Member address book and the snapshot envelope the driver stores:
 * the application's snapshot plus the addresses of all members, so a node
 * restored from a snapshot can still reach its peers.
 */
import { encodeConfChange, type ConfChange, type Entry, type NodeId } from '../core/types.js';
import { Reader, Writer } from './codec.js';

export function wrapSnapshot(members: ReadonlyMap<NodeId, string>, app: Uint8Array): Uint8Array {
  const w = new Writer(app.length + 64 * members.size + 16);
  w.u32(members.size);
  for (const [id, addr] of members) w.str(id).str(addr);
  w.bytes(app);
  return w.finish();
}

export function unwrapSnapshot(data: Uint8Array): { members: Map<NodeId, string>; app: Uint8Array } {
  const r = new Reader(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  const n = r.u32();
  const members = new Map<NodeId, string>();
  for (let i = 0; i < n; i++) members.set(r.str(), r.str());
  return { members, app: r.bytes() };
}

/** The conf-change entries every founding member writes identically (sorted by id) at term 1. */
export function bootstrapEntries(peers: Readonly<Record<NodeId, string>>): Entry[] {
  return Object.keys(peers)
    .sort()
    .map((id, i): Entry => {
      const cc: ConfChange = { kind: 'addVoter', node: id, context: peers[id]! };
      return { term: 1, index: i + 1, type: 'conf', data: encodeConfChange(cc) };
    });
}
