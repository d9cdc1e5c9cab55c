/** Small helpers for unit tests that drive a single Raft by hand. */
import { Raft } from '../core/raft.js';
import type { Config } from '../core/state.js';
import { MemoryStorage } from '../core/storage.js';
import type { Entry, Message, MessageType, NodeId } from '../core/types.js';

const enc = new TextEncoder();

export function ent(term: number, index: number, data = ''): Entry {
  return { term, index, type: 'normal', data: enc.encode(data) };
}

/** Storage holding `terms[i]` as the term of entry i+1 (like etcd's tests). */
export function storageWith(voters: readonly NodeId[], terms: readonly number[] = [], hard?: { term: number; vote?: string; commit?: number }): MemoryStorage {
  const s = MemoryStorage.withConf({ voters, learners: [] });
  s.append(terms.map((t, i) => ent(t, i + 1)));
  if (hard) s.setHardState({ term: hard.term, vote: hard.vote ?? '', commit: hard.commit ?? 0 });
  return s;
}

export interface TestRaft {
  readonly raft: Raft;
  readonly storage: MemoryStorage;
  readonly applied: Entry[];
}

export function newTestRaft(
  id: NodeId,
  voters: readonly NodeId[],
  opts: Partial<Omit<Config, 'id' | 'storage'>> & { storage?: MemoryStorage } = {},
): TestRaft {
  const storage = opts.storage ?? storageWith(voters);
  const raft = new Raft({ electionTick: 10, heartbeatTick: 1, rng: () => 0, preVote: false, checkQuorum: false, ...opts, id, storage });
  return { raft, storage, applied: [] };
}

/** Handle all Readys: persist to storage, record applied entries, return the messages sent. */
export function drain(t: TestRaft): Message[] {
  const out: Message[] = [];
  while (t.raft.hasReady()) {
    const rd = t.raft.ready();
    if (rd.snapshot) t.storage.applySnapshot(rd.snapshot);
    t.storage.append(rd.entries);
    if (rd.hardState) t.storage.setHardState(rd.hardState);
    out.push(...rd.messages);
    t.applied.push(...rd.committed);
    t.raft.advance(rd);
  }
  return out;
}

export function msg(type: MessageType, from: NodeId, to: NodeId, term: number, rest: Partial<Message> = {}): Message {
  return { type, from, to, term, ...rest };
}

export function ticks(t: TestRaft, n: number): void {
  for (let i = 0; i < n; i++) t.raft.tick();
}

/** Make `t` leader of its cluster in term `t.raft.r.term + 1`, granting votes from all peers. */
export function elect(t: TestRaft): Message[] {
  const r = t.raft;
  r.campaign();
  drain(t);
  for (const v of r.r.voters) if (v !== r.r.id) r.step(msg('voteResp', v, r.r.id, r.r.term));
  return drain(t);
}
