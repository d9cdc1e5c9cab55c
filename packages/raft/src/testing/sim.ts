/**
 * A whole Raft cluster in one process: a simulated clock, a lossy network
 * (drop, delay, reorder, duplicate, partition, isolate) and crash/restart
 * with exactly what was persisted. Deterministic for a given seed.
 *
 * Persistence model: a node's Ready is persisted atomically before its
 * messages leave, so a crash loses only what was never handed out. With
 * `slowSnapshotUnits`, a Ready that installs a snapshot stays in flight that
 * long (like the real driver's async fsync): meanwhile the node keeps
 * receiving messages and ticking, and hands out no other Ready.
 * With `asyncWriteUnits`, nodes behave like the real driver (node.ts): a Ready
 * is taken at once (a leader's appends and heartbeats leave, committed entries
 * are applied), its write takes 1..asyncWriteUnits units (writes finish in
 * order, several may be in flight), and only then do its other messages leave
 * and is it advanced. A crash loses every write in flight.
 */
import { Raft } from '../core/raft.js';
import { MemoryStorage } from '../core/storage.js';
import { decodeConfChange, encodeConfChange, type ConfState, type Entry, type Message, type MessageType, type NodeId, type Ready } from '../core/types.js';
import { Invariants, InvariantViolation } from './invariants.js';
import { mulberry32, type Rng } from './rng.js';

export interface SimOptions {
  readonly ids: readonly NodeId[];
  readonly seed: number;
  readonly electionTick?: number;
  readonly heartbeatTick?: number;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  /** Take a snapshot every N applied entries (0 = never). */
  readonly snapshotInterval?: number;
  /** Entries kept before the snapshot index for slow followers. */
  readonly keepEntries?: number;
  readonly maxInflightMsgs?: number;
  readonly maxSizePerMsg?: number;
  /** Time units per tick; messages take 1..maxDelay units. */
  readonly tickUnits?: number;
  /** Pre-built storage per node (e.g. logs from the paper's figures). */
  readonly storages?: ReadonlyMap<NodeId, MemoryStorage>;
  /** Initial configuration (default: all ids are voters). */
  readonly conf?: ConfState;
  /** Time units a Ready carrying a snapshot takes to persist (0 = at once). */
  readonly slowSnapshotUnits?: number;
  /** Asynchronous writes: each Ready's write takes up to this many units (0 = synchronous). */
  readonly asyncWriteUnits?: number;
  /** Leaders broadcast a new commit index lazily (Config.lazyCommit): after a few units, or at the next tick. */
  readonly lazyCommit?: boolean;
}

/** A Ready being persisted: `taken` ones had their early part done when taken (asyncWriteUnits). */
export interface SimWrite {
  readonly rd: Ready;
  readonly until: number;
  readonly taken: boolean;
  readonly later: readonly Message[];
}

/** What a leader sends before its own write is durable (as the real driver). */
const EARLY = new Set<MessageType>(['app', 'heartbeat', 'snap', 'timeoutNow']);

export interface NetFaults {
  drop: number;
  duplicate: number;
  /** Max delivery delay in time units (random delay reorders messages). */
  maxDelay: number;
}

export interface SimNode {
  readonly id: NodeId;
  raft: Raft | undefined;
  readonly storage: MemoryStorage;
  /** State machine: applied values in order, plus the last applied index. */
  values: string[];
  appliedIndex: number;
  snapshotIndex: number;
  /** Readys being persisted, oldest first (slowSnapshotUnits, asyncWriteUnits). */
  writes: SimWrite[];
}

/**
 * Founding members start like the real driver's: conf-change entries 1..n
 * committed at term 1, so nodes that join later learn the membership from the log.
 */
function bootstrapStorage(conf: ConfState): MemoryStorage {
  const s = new MemoryStorage();
  const ccs = [
    ...conf.voters.map((node) => ({ kind: 'addVoter' as const, node })),
    ...conf.learners.map((node) => ({ kind: 'addLearner' as const, node })),
  ];
  s.append(ccs.map((cc, i): Entry => ({ term: 1, index: i + 1, type: 'conf', data: encodeConfChange(cc) })));
  s.setHardState({ term: 1, vote: '', commit: ccs.length });
  return s;
}

interface InFlight {
  readonly at: number;
  readonly seq: number;
  readonly m: Message;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class SimCluster {
  readonly rng: Rng;
  readonly nodes = new Map<NodeId, SimNode>();
  readonly inv = new Invariants();
  readonly faults: NetFaults = { drop: 0, duplicate: 0, maxDelay: 1 };
  now = 0;
  private seq = 0;
  private queue: InFlight[] = [];
  private cut = new Set<string>();
  private ignored = new Set<MessageType>();
  /** Proposals acknowledged to a client: value -> index. */
  readonly acked = new Map<string, number>();
  private waits = new Map<number, { node: NodeId; term: number; value: string }[]>();
  readonly opts: Required<Omit<SimOptions, 'conf' | 'storages'>> & { conf: ConfState };
  delivered = 0;

  constructor(o: SimOptions) {
    const { storages, ...given } = o;
    this.opts = {
      electionTick: 10,
      heartbeatTick: 1,
      preVote: true,
      checkQuorum: true,
      snapshotInterval: 0,
      keepEntries: 5,
      maxInflightMsgs: 64,
      maxSizePerMsg: 64 * 1024,
      tickUnits: 10,
      slowSnapshotUnits: 0,
      asyncWriteUnits: 0,
      lazyCommit: false,
      conf: { voters: [...o.ids], learners: [] },
      ...given,
    };
    this.rng = mulberry32(o.seed);
    for (const id of o.ids) {
      const storage = storages?.get(id) ?? bootstrapStorage(this.opts.conf);
      this.nodes.set(id, { id, raft: undefined, storage, values: [], appliedIndex: 0, snapshotIndex: 0, writes: [] });
      this.start(id);
    }
  }

  node(id: NodeId): SimNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }
  raft(id: NodeId): Raft {
    const r = this.node(id).raft;
    if (!r) throw new Error(`node ${id} is down`);
    return r;
  }
  up(): NodeId[] {
    return [...this.nodes.values()].filter((n) => n.raft).map((n) => n.id);
  }

  /** Add a brand-new (empty) node to the simulation; it joins once a conf change adds it. */
  addNode(id: NodeId): void {
    const storage = new MemoryStorage();
    this.nodes.set(id, { id, raft: undefined, storage, values: [], appliedIndex: 0, snapshotIndex: 0, writes: [] });
    this.start(id);
  }

  /** Boot (or reboot) a node from its persisted storage. */
  start(id: NodeId): void {
    const n = this.node(id);
    const snap = n.storage.snapshot();
    // A snapshot of applied entries may be newer than the persisted commit index (they are
    // applied before they are durable here, asyncWriteUnits): it is committed (as disk.ts restores).
    const hs = n.storage.hardState;
    if (hs.commit < snap.meta.index) n.storage.setHardState({ ...hs, commit: snap.meta.index });
    n.values = snap.data.length > 0 ? (JSON.parse(dec.decode(snap.data)) as string[]) : [];
    n.appliedIndex = snap.meta.index;
    n.snapshotIndex = snap.meta.index;
    const o = this.opts;
    n.raft = new Raft({
      id,
      storage: n.storage,
      rng: this.rng,
      electionTick: o.electionTick,
      heartbeatTick: o.heartbeatTick,
      preVote: o.preVote,
      checkQuorum: o.checkQuorum,
      maxInflightMsgs: o.maxInflightMsgs,
      maxSizePerMsg: o.maxSizePerMsg,
      lazyCommit: o.lazyCommit,
      applied: snap.meta.index,
    });
  }

  /** Crash: volatile state is lost, persisted storage survives. */
  crash(id: NodeId): void {
    this.node(id).raft = undefined;
    this.node(id).writes = []; // never persisted, their messages never sent
    this.queue = this.queue.filter((f) => f.m.to !== id);
  }
  restart(id: NodeId): void {
    if (!this.node(id).raft) this.start(id);
  }

  // ---- network faults -------------------------------------------------------
  cutLink(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}>${b}`);
    this.cut.add(`${b}>${a}`);
  }
  isolate(id: NodeId): void {
    for (const o of this.nodes.keys()) if (o !== id) this.cutLink(id, o);
  }
  partition(...groups: NodeId[][]): void {
    this.heal();
    for (const g of groups) for (const h of groups) if (g !== h) for (const a of g) for (const b of h) this.cut.add(`${a}>${b}`);
  }
  ignore(t: MessageType): void {
    this.ignored.add(t);
  }
  heal(): void {
    this.cut.clear();
    this.ignored.clear();
  }
  reliable(): void {
    this.faults.drop = 0;
    this.faults.duplicate = 0;
    this.faults.maxDelay = 1;
  }

  private enqueue(m: Message): void {
    if (this.cut.has(`${m.from}>${m.to}`) || this.ignored.has(m.type)) return;
    if (this.faults.drop > 0 && this.rng() < this.faults.drop) return;
    const copies = this.faults.duplicate > 0 && this.rng() < this.faults.duplicate ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      const delay = 1 + Math.floor(this.rng() * this.faults.maxDelay);
      this.queue.push({ at: this.now + delay, seq: this.seq++, m });
    }
  }

  // ---- driving --------------------------------------------------------------
  /** Handle every pending Ready of every live node until quiescent (no time passes). */
  processAll(): void {
    for (let again = true; again; ) {
      again = false;
      for (const n of this.nodes.values()) {
        while (n.writes.length > 0 && n.writes[0]!.until <= this.now) {
          const w = n.writes.shift()!;
          if (w.taken) this.finishWrite(n, w);
          else this.handleReady(n, w.rd);
          again = true;
        }
        // A snapshot is persisted alone: nothing else is taken until it is.
        while (n.raft?.hasReady() && !n.writes.some((w) => w.rd.snapshot)) {
          this.take(n, n.raft.ready());
          again = true;
        }
      }
    }
  }

  private take(n: SimNode, rd: Ready): void {
    const o = this.opts;
    const after = n.writes[n.writes.length - 1]?.until ?? this.now;
    if (rd.snapshot || o.asyncWriteUnits === 0) {
      const delay = rd.snapshot ? o.slowSnapshotUnits : 0;
      if (delay === 0 && n.writes.length === 0) this.handleReady(n, rd);
      else n.writes.push({ rd, until: Math.max(after, this.now + delay), taken: false, later: [] });
      return;
    }
    const raft = n.raft!;
    if (rd.softState?.role === 'leader') this.inv.onLeader(n.id, raft.r.term, raft);
    if (rd.entries.length > 0) this.inv.onAppend(n.id, raft, rd.entries);
    let later = rd.messages;
    if (raft.isLeader()) {
      for (const m of rd.messages) if (EARLY.has(m.type)) this.enqueue(m);
      later = rd.messages.filter((m) => !EARLY.has(m.type));
    }
    for (const e of rd.committed) this.apply(n, raft, e);
    const last = rd.committed[rd.committed.length - 1];
    if (last) raft.appliedTo(last.index);
    const until = Math.max(after, this.now + 1 + Math.floor(this.rng() * o.asyncWriteUnits));
    n.writes.push({ rd, until, taken: true, later });
  }

  /** A taken Ready's write is durable: persist it, send what waited, advance. */
  private finishWrite(n: SimNode, w: SimWrite): void {
    const raft = n.raft!;
    const prevCommit = n.storage.hardState.commit;
    n.storage.append(w.rd.entries);
    if (w.rd.hardState) {
      n.storage.setHardState(w.rd.hardState);
      if (w.rd.hardState.commit > prevCommit) this.inv.onCommit(n.id, raft, prevCommit + 1, w.rd.hardState.commit);
    }
    for (const m of w.later) this.enqueue(m);
    raft.advance(w.rd);
    this.maybeSnapshot(n, raft);
  }

  private handleReady(n: SimNode, rd: Ready): void {
    const raft = n.raft!;
    const prevCommit = n.storage.hardState.commit;
    if (rd.snapshot) {
      n.storage.applySnapshot(rd.snapshot);
      n.values = rd.snapshot.data.length > 0 ? (JSON.parse(dec.decode(rd.snapshot.data)) as string[]) : [];
      n.appliedIndex = rd.snapshot.meta.index;
      n.snapshotIndex = rd.snapshot.meta.index;
    }
    if (rd.entries.length > 0) this.inv.onAppend(n.id, raft, rd.entries);
    n.storage.append(rd.entries);
    if (rd.hardState) {
      n.storage.setHardState(rd.hardState);
      if (rd.hardState.commit > prevCommit) this.inv.onCommit(n.id, raft, prevCommit + 1, rd.hardState.commit);
    }
    if (rd.softState?.role === 'leader') this.inv.onLeader(n.id, raft.r.term, raft);
    for (const m of rd.messages) this.enqueue(m);
    for (const e of rd.committed) this.apply(n, raft, e);
    raft.advance(rd);
    this.maybeSnapshot(n, raft);
  }

  private apply(n: SimNode, raft: Raft, e: Entry): void {
    if (e.index !== n.appliedIndex + 1) throw new InvariantViolation(`${n.id} applied ${e.index} after ${n.appliedIndex}`);
    n.appliedIndex = e.index;
    this.inv.onApply(n.id, e);
    if (e.type === 'conf') {
      const cc = decodeConfChange(e.data);
      if (cc) raft.applyConfChange(cc);
    } else if (e.data.length > 0) {
      n.values.push(dec.decode(e.data));
    }
    const ws = this.waits.get(e.index);
    if (ws) {
      for (const w of ws) if (w.node === n.id && w.term === e.term) this.acked.set(w.value, e.index);
      const rest = ws.filter((w) => w.node !== n.id);
      if (rest.length > 0) this.waits.set(e.index, rest);
      else this.waits.delete(e.index);
    }
  }

  private maybeSnapshot(n: SimNode, raft: Raft): void {
    const every = this.opts.snapshotInterval;
    if (every <= 0 || n.appliedIndex - n.snapshotIndex < every) return;
    if (n.appliedIndex > raft.stableIndex()) return; // applied before durable here (asyncWriteUnits): later
    const data = enc.encode(JSON.stringify(n.values));
    n.storage.createSnapshot(n.appliedIndex, raft.confState(), data);
    n.snapshotIndex = n.appliedIndex;
    const compactTo = n.appliedIndex - this.opts.keepEntries;
    if (compactTo > n.storage.firstIndex()) n.storage.compact(compactTo);
  }

  /** Advance time by one unit: deliver due messages, tick on tick boundaries. */
  stepTime(): void {
    this.now++;
    const due = this.queue.filter((f) => f.at <= this.now);
    if (due.length > 0) {
      this.queue = this.queue.filter((f) => f.at > this.now);
      due.sort((a, b) => a.at - b.at || a.seq - b.seq);
      for (const f of due) {
        const to = this.nodes.get(f.m.to)?.raft;
        if (!to) continue;
        this.delivered++;
        to.step(f.m);
        this.processAll();
      }
    }
    if (this.now % this.opts.tickUnits === 0) {
      for (const n of this.nodes.values()) n.raft?.tick();
    }
    // lazyCommit: the driver flushes a held commit after a while (here: a random number of units).
    for (const n of this.nodes.values()) if (n.raft?.commitDue() && this.rng() < 0.3) n.raft.flushCommit();
    this.processAll();
  }

  run(units: number): void {
    for (let i = 0; i < units; i++) this.stepTime();
  }
  runTicks(ticks: number): void {
    this.run(ticks * this.opts.tickUnits);
  }

  /** Deliver messages until none are in flight (time advances, no ticks happen). */
  deliverAll(maxRounds = 10_000): void {
    this.processAll();
    for (let i = 0; i < maxRounds && this.queue.length > 0; i++) {
      this.now++;
      const due = this.queue.filter((f) => f.at <= this.now);
      this.queue = this.queue.filter((f) => f.at > this.now);
      due.sort((a, b) => a.at - b.at || a.seq - b.seq);
      for (const f of due) {
        const to = this.nodes.get(f.m.to)?.raft;
        if (to) {
          to.step(f.m);
          this.processAll();
        }
      }
    }
  }

  leaders(): NodeId[] {
    return this.up().filter((id) => this.raft(id).isLeader());
  }
  /** The leader with the highest term, if any. */
  leader(): NodeId | undefined {
    let best: NodeId | undefined;
    for (const id of this.leaders()) if (best === undefined || this.raft(id).r.term > this.raft(best).r.term) best = id;
    return best;
  }

  /** Run until some node is leader and a quorum agrees on its term; returns it. */
  waitLeader(maxTicks = 200): NodeId | undefined {
    for (let t = 0; t < maxTicks; t++) {
      const l = this.leader();
      if (l !== undefined && this.raft(l).r.log.term(this.raft(l).r.log.committed) === this.raft(l).r.term) return l;
      this.runTicks(1);
    }
    return undefined;
  }

  /** Propose on node `id`; the value is acknowledged when `id` applies it. */
  propose(id: NodeId, value: string): boolean {
    const raft = this.node(id).raft;
    if (!raft) return false;
    const res = raft.propose(enc.encode(value));
    if (!res.ok) return false;
    const list = this.waits.get(res.value.index) ?? [];
    list.push({ node: id, term: res.value.term, value });
    this.waits.set(res.value.index, list);
    this.processAll();
    return true;
  }

  /** Propose via the current leader, retrying elections for up to maxTicks. */
  proposeToLeader(value: string, maxTicks = 300): NodeId | undefined {
    for (let t = 0; t < maxTicks; t++) {
      const l = this.leader();
      if (l !== undefined && this.propose(l, value)) return l;
      this.runTicks(1);
    }
    return undefined;
  }

  /** Run until every live node applied `value` (or give up). */
  waitApplied(value: string, nodes: readonly NodeId[] = this.up(), maxTicks = 300): boolean {
    for (let t = 0; t < maxTicks; t++) {
      if (nodes.every((id) => this.node(id).values.includes(value))) return true;
      this.runTicks(1);
    }
    return false;
  }

  /** Final check: all live nodes converge to identical state containing every acknowledged value. */
  checkConverged(maxTicks = 600): string | undefined {
    let why = 'no progress';
    for (let t = 0; t < maxTicks; t++) {
      why = this.convergenceProblem() ?? '';
      if (why === '') return undefined;
      this.runTicks(1);
    }
    return why;
  }

  private convergenceProblem(): string | undefined {
    const l = this.leader();
    if (l === undefined) return 'no leader';
    const conf = this.raft(l).confState();
    const members = new Set([...conf.voters, ...conf.learners]);
    const ids = this.up().filter((id) => members.has(id));
    const lr = this.raft(l).r.log;
    for (const id of ids) {
      const n = this.node(id);
      if (n.appliedIndex !== lr.committed || lr.committed !== lr.lastIndex()) return `${id} applied ${n.appliedIndex} of ${lr.committed}`;
    }
    const ref = JSON.stringify(this.node(l).values);
    for (const id of ids) if (JSON.stringify(this.node(id).values) !== ref) return `${id} state differs from leader ${l}`;
    const have = new Set(this.node(l).values);
    for (const v of this.acked.keys()) if (!have.has(v)) return `acknowledged value ${v} missing`;
    return undefined;
  }
}
