/**
 * Safety invariants checked on every Ready produced anywhere in a simulated cluster.
 * Each violation throws with a description; the simulator reports the seed.
 */
import type { Raft } from '../core/raft.js';
import type { Entry, NodeId } from '../core/types.js';

export class InvariantViolation extends Error {
  override name = 'InvariantViolation';
}

const dec = new TextDecoder();
export const entryKey = (e: Entry): string => `${e.type}:${dec.decode(e.data)}`;

export class Invariants {
  /** term -> leader id (Election Safety, §5.2). */
  private leaders = new Map<number, NodeId>();
  /** "index:term" -> {prevTerm, data} (Log Matching, §5.3, checked inductively). */
  private entries = new Map<string, { prevTerm: number; key: string }>();
  /** index -> term of every entry known committed anywhere (Leader Completeness, §5.4). */
  readonly committed = new Map<number, number>();
  /** index -> data applied at that index (State Machine Safety, §5.4.3). */
  readonly applied = new Map<number, string>();
  checks = 0;

  onLeader(id: NodeId, term: number, raft: Raft): void {
    this.checks++;
    const prev = this.leaders.get(term);
    if (prev !== undefined && prev !== id) throw new InvariantViolation(`two leaders in term ${term}: ${prev} and ${id}`);
    if (prev === id) return;
    this.leaders.set(term, id);
    // Every entry committed so far must be in the new leader's log (or under its snapshot).
    const log = raft.r.log;
    const first = log.firstIndex();
    for (const [i, t] of this.committed) {
      if (i < first) continue;
      const lt = log.term(i);
      if (lt !== t) throw new InvariantViolation(`leader ${id} of term ${term} lacks committed entry ${i}/${t} (has term ${lt})`);
    }
  }

  onAppend(id: NodeId, raft: Raft, ents: readonly Entry[]): void {
    const log = raft.r.log;
    for (const e of ents) {
      this.checks++;
      const prevTerm = log.term(e.index - 1) ?? -1;
      const k = `${e.index}:${e.term}`;
      const seen = this.entries.get(k);
      const key = entryKey(e);
      if (!seen) this.entries.set(k, { prevTerm, key });
      else if (seen.key !== key || (prevTerm !== -1 && seen.prevTerm !== -1 && seen.prevTerm !== prevTerm)) {
        throw new InvariantViolation(`log matching violated on ${id} at ${k}: ${key}/${prevTerm} vs ${seen.key}/${seen.prevTerm}`);
      }
    }
  }

  onCommit(id: NodeId, raft: Raft, from: number, to: number): void {
    const log = raft.r.log;
    for (let i = Math.max(from, log.firstIndex()); i <= to; i++) {
      this.checks++;
      const t = log.term(i);
      if (t === undefined) continue;
      const prev = this.committed.get(i);
      if (prev !== undefined && prev !== t) throw new InvariantViolation(`${id} committed ${i}/${t} but ${i}/${prev} was committed before`);
      this.committed.set(i, t);
    }
  }

  onApply(id: NodeId, e: Entry): void {
    this.checks++;
    const key = entryKey(e);
    const prev = this.applied.get(e.index);
    if (prev !== undefined && prev !== key) throw new InvariantViolation(`${id} applied ${key} at ${e.index}, another node applied ${prev}`);
    this.applied.set(e.index, key);
  }
}
