/**
 * The async driver around the pure core. The loop, per Ready:
 *   1. persist hard state + entries (+ snapshot), fdatasync  (disk.ts)
 *   2. send messages                                          (transport.ts)
 *   3. apply committed entries / snapshot to the state machine, resolve waits
 *   4. advance(); maybe take a snapshot and compact
 * Proposals arriving in the same turn of the event loop are batched into one
 * append, and everything that arrives while an fsync runs shares the next one.
 */
import { Raft, notLeader, type ProposeError, type Result } from '../core/raft.js';
import { decodeConfChange, type ConfChange, type ConfState, type Entry, type Message, type NodeId, type Ready, type Snapshot } from '../core/types.js';
import type { LeadershipChange, NodeError, RaftNode, RaftNodeOptions } from './api.js';
import { DiskStore } from './disk.js';
import { bootstrapEntries, unwrapSnapshot, wrapSnapshot } from './members.js';
import { forceNewCluster } from './force.js';
import { createGrpcTransport, type Transport } from './transport.js';
import { WaitRegistry } from './wait.js';

export type { AppliedEntry, LeadershipChange, NodeError, RaftNode, RaftNodeOptions, StateMachine, TraceStage } from './api.js';

const LEADER_EARLY = new Set<string>(['app', 'heartbeat', 'snap', 'timeoutNow']);

export async function startRaftNode<R>(o: RaftNodeOptions<R>): Promise<RaftNode<R>> {
  const log = o.log ?? (() => {});
  const trace = o.trace;
  if (o.forceNewCluster) await forceNewCluster(o, log);
  const disk = new DiskStore(o.dir, { warn: log });
  if (disk.fresh && !o.join) await disk.bootstrap(bootstrapEntries(o.peers));
  const members = new Map<NodeId, string>(Object.entries(o.peers));
  const sm = o.stateMachine;
  const snap0 = disk.storage.snapshot();
  let lastSnap = snap0.meta.index;
  if (snap0.meta.index > 0) restoreSnapshot(snap0);

  const raft = new Raft({
    id: o.id,
    storage: disk.storage,
    rng: o.rng ?? Math.random,
    electionTick: o.electionTick ?? 10,
    heartbeatTick: o.heartbeatTick ?? 1,
    preVote: true,
    checkQuorum: true,
    maxInflightMsgs: o.maxInflightMsgs ?? 256,
    ...(o.maxEntryBytes ? { maxEntryBytes: o.maxEntryBytes } : {}),
    applied: snap0.meta.index,
  });
  const waits = new WaitRegistry<unknown>();
  const reads = new Map<string, (r: Result<number, NodeError>) => void>();
  const readWaits: { index: number; resolve: (r: Result<number, NodeError>) => void }[] = [];
  const listeners = new Set<(c: LeadershipChange) => void>();
  const strangers = new Set<NodeId>();
  let applied = snap0.meta.index;
  let stopped = false;
  let wake: (() => void) | undefined;
  const kick = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const transport: Transport = createGrpcTransport({
    id: o.id,
    listen: o.listen,
    ...(o.server ? { server: o.server } : {}),
    ...(o.authorize ? { authorize: o.authorize } : {}),
    ...(o.serverCredentials ? { serverCredentials: o.serverCredentials } : {}),
    ...(o.channelCredentials ? { channelCredentials: o.channelCredentials } : {}),
    ...(o.dialAddress ? { dialAddress: o.dialAddress } : {}),
    // Snapshots travel chunked; the largest frame is one append: up to ~2 MiB of batching plus one maximal entry.
    maxMessageBytes: raft.r.cfg.maxEntryBytes + 8 * 1024 * 1024,
    onMessage: (m) => {
      if (stopped) return;
      if (trace) traceMessage(m);
      const err = raft.step(m);
      if (persisting && m.type === 'appResp') applyEarly();
      if (err === 'unknown-member' && !strangers.has(m.from)) {
        strangers.add(m.from); // warn once per sender; Raft.dropped keeps the counts
        log(`raft: dropping messages from ${m.from}: not a member of this cluster (removed, or from another cluster)`);
      }
      kick();
    },
    onUnreachable: (id) => raft.reportUnreachable(id),
    onPeerDown: (id) => {
      // Fast failover: the leader's connection broke (e.g. its process died). Campaign after a
      // short random delay instead of a full election timeout; PreVote keeps this non-disruptive.
      if (stopped || !raft.leaderLost(id)) return;
      log(`raft: connection to leader ${id} lost; campaigning soon unless a leader appears`);
      earlyCampaign(0);
    },
    onSnapshotStatus: (id, ok) => {
      raft.reportSnapshot(id, ok);
      kick();
    },
    warn: log,
  });
  for (const [id, addr] of members) transport.setPeer(id, addr);
  const port = await transport.start();

  /**
   * Campaign after a random 0-3 ticks while there is no leader; retried a few
   * times (a split pre-vote otherwise costs a whole election timeout).
   */
  function earlyCampaign(attempt: number): void {
    const tick = o.tickMs ?? 100;
    const delay = Math.floor((o.rng ?? Math.random)() * tick * 3) + attempt * tick;
    setTimeout(() => {
      if (stopped || raft.leader() !== '' || raft.isLeader()) return;
      // Give a running candidacy time to collect votes (fsyncs can be slow) before redoing it.
      if (raft.r.role.kind !== 'candidate' || attempt >= 2) {
        raft.campaign();
        kick();
      }
      if (attempt < 3) earlyCampaign(attempt + 1);
    }, delay);
  }

  function traceMessage(m: Message): void {
    const last = m.entries?.[m.entries.length - 1];
    if (m.type === 'app' && last) trace?.('recv', last.index);
    else if (m.type === 'appResp' && !m.reject) trace?.('ack', m.index ?? 0);
  }

  function restoreSnapshot(s: Snapshot): void {
    const { members: ms, app } = unwrapSnapshot(s.data);
    for (const [id, addr] of ms) members.set(id, addr);
    sm.restore(app);
  }

  function applyEntry(e: Entry): void {
    let value: unknown;
    if (e.type === 'conf') {
      const cc = decodeConfChange(e.data);
      if (!cc) log(`raft: ignoring undecodable conf change at ${e.index}`);
      else value = applyConf(cc);
    } else if (e.data.length > 0) {
      value = sm.apply({ index: e.index, term: e.term, data: e.data });
    }
    applied = e.index;
    waits.trigger(e.index, e.term, value);
  }

  function applyConf(cc: ConfChange): ConfState {
    const conf = raft.applyConfChange(cc);
    if (cc.kind === 'remove') {
      members.delete(cc.node);
      transport.removePeer(cc.node);
    } else if (cc.context) {
      members.set(cc.node, cc.context);
      transport.setPeer(cc.node, cc.context);
    }
    return conf;
  }

  /** The loop is waiting for a Ready's fsync. */
  let persisting = false;
  /** As leader in term `durableTerm`: the end of the log that is durable here (the leader never truncates it). */
  let leaderDurable = 0;
  let durableTerm = -1;

  /**
   * A follower's acknowledgement arrived while we fsync the next Ready: apply what
   * it committed now (if durable here) instead of after that fsync.
   */
  function applyEarly(): void {
    if (stopped || !raft.isLeader() || durableTerm !== raft.r.term) return;
    const ents = raft.takeCommitted(leaderDurable);
    if (ents.length === 0) return;
    trace?.('commit', ents[ents.length - 1]!.index);
    for (const e of ents) applyEntry(e);
    trace?.('apply', applied);
    resolveReads();
  }

  function resolveReads(): void {
    for (let i = readWaits.length - 1; i >= 0; i--) {
      const w = readWaits[i]!;
      if (w.index <= applied) {
        readWaits.splice(i, 1);
        w.resolve({ ok: true, value: w.index });
      }
    }
  }

  async function handle(rd: Ready): Promise<void> {
    // A leader may send appends before its own fsync (etcd does the same): its own
    // acknowledgement only counts once this Ready is durable, because everything
    // that depends on it (commit index, apply, client acks) comes after this await.
    // Responses and votes always wait for the fsync.
    const lastNew = rd.entries[rd.entries.length - 1]?.index;
    if (trace && lastNew !== undefined) trace('append', lastNew);
    if (trace && rd.committed.length > 0) trace('commit', rd.committed[rd.committed.length - 1]!.index);
    const early = raft.isLeader() ? rd.messages.filter((m) => LEADER_EARLY.has(m.type)) : [];
    if (early.length > 0) transport.send(early);
    // Committed entries from earlier Readys are already durable here: apply them now
    // rather than after this Ready's fsync (only entries in rd.entries must wait).
    const firstNew = rd.entries[0]?.index ?? Number.MAX_SAFE_INTEGER;
    let split = 0;
    if (!rd.snapshot) while (split < rd.committed.length && rd.committed[split]!.index < firstNew) split++;
    for (let i = 0; i < split; i++) applyEntry(rd.committed[i]!);
    if (split > 0) raft.appliedTo(rd.committed[split - 1]!.index);
    if (trace && split > 0) trace('apply', applied);
    const asLeader = raft.isLeader();
    const term = raft.r.term;
    persisting = true;
    try {
      await disk.persist(rd);
    } finally {
      persisting = false;
    }
    if (!asLeader || !raft.isLeader() || raft.r.term !== term) durableTerm = -1;
    else if (lastNew !== undefined) {
      leaderDurable = lastNew;
      durableTerm = term;
    }
    if (trace && lastNew !== undefined) trace('persisted', lastNew);
    transport.send(early.length > 0 ? rd.messages.filter((m) => !LEADER_EARLY.has(m.type)) : rd.messages);
    if (rd.snapshot) {
      restoreSnapshot(rd.snapshot);
      applied = rd.snapshot.meta.index;
      lastSnap = applied;
      waits.dropUpTo(applied);
      for (const [id, addr] of members) transport.setPeer(id, addr);
    }
    for (let i = split; i < rd.committed.length; i++) if (rd.committed[i]!.index > applied) applyEntry(rd.committed[i]!);
    if (trace && rd.committed.length > 0) trace('apply', applied);
    for (const rs of rd.readStates) {
      const key = Buffer.from(rs.context).toString('hex');
      const resolve = reads.get(key);
      reads.delete(key);
      if (resolve) readWaits.push({ index: rs.index, resolve });
    }
    resolveReads();
    if (rd.softState) {
      const c = { leader: rd.softState.leader, isLeader: rd.softState.role === 'leader', term: raft.r.term };
      for (const l of listeners) l(c);
    }
    raft.advance(rd);
    const bootstrapSingle = raft.r.voters.length === 1 && raft.r.voters[0] === o.id && raft.r.lead === '' && !o.join;
    if (bootstrapSingle && raft.r.role.kind === 'follower') raft.campaign();
    if (applied - lastSnap >= (o.snapshotInterval ?? 10_000)) snapshotNow();
  }

  /** Snapshot at the applied index; the file is written in the background, off the commit path (disk.ts). */
  let snapshotting: Promise<void> | undefined;
  function snapshotNow(): void {
    if (applied <= lastSnap || snapshotting) return;
    const at = applied;
    trace?.('snapStart', at);
    lastSnap = at;
    snapshotting = disk
      .snapshot(at, raft.confState(), wrapSnapshot(members, sm.snapshot()), o.keepEntries ?? 500)
      .then(
        () => trace?.('snapEnd', at),
        (e: unknown) => log(`raft: snapshot at ${at} failed: ${e instanceof Error ? e.message : String(e)}`),
      )
      .finally(() => (snapshotting = undefined));
  }

  const loopDone = (async () => {
    while (!stopped) {
      if (!raft.hasReady()) {
        await new Promise<void>((res) => (wake = res));
        continue;
      }
      await handle(raft.ready());
    }
  })().catch((e: unknown) => {
    log(`raft: fatal error in the node loop, stopping: ${e instanceof Error ? e.stack : String(e)}`);
    void stop();
  });

  const ticker = setInterval(() => {
    raft.tick();
    kick();
  }, o.tickMs ?? 100);

  // ---- proposals, batched per turn of the event loop ----------------------
  let batch: { data: Uint8Array; resolve: (r: Result<unknown, NodeError>) => void }[] = [];
  function flushBatch(): void {
    const b = batch;
    batch = [];
    if (stopped) {
      for (const p of b) p.resolve({ ok: false, error: { kind: 'stopped', message: 'raft: node stopped' } });
      return;
    }
    const res = raft.proposeBatch(b.map((p) => p.data));
    if (!res.ok) {
      for (const p of b) p.resolve(res);
      return;
    }
    trace?.('propose', res.value[res.value.length - 1]?.index ?? 0);
    res.value.forEach((pr, i) => void waits.register(pr.index, pr.term).then(b[i]!.resolve));
    kick();
  }

  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    clearInterval(ticker);
    kick();
    await loopDone;
    waits.cancelAll('raft: node stopped');
    for (const r of reads.values()) r({ ok: false, error: { kind: 'stopped', message: 'raft: node stopped' } });
    for (const w of readWaits) w.resolve({ ok: false, error: { kind: 'stopped', message: 'raft: node stopped' } });
    await transport.close();
    await snapshotting;
    await disk.close();
  }

  let readSeq = 0;
  const confChange = async (cc: ConfChange): Promise<Result<ConfState, NodeError>> => {
    const res = raft.proposeConfChange(cc);
    if (!res.ok) return res;
    kick();
    return (await waits.register(res.value.index, res.value.term)) as Result<ConfState, NodeError>;
  };

  return {
    id: o.id,
    port,
    propose(data) {
      if (!raft.isLeader()) return Promise.resolve({ ok: false, error: notLeader(raft.leader()) });
      const max = raft.r.cfg.maxEntryBytes;
      if (data.length > max) {
        return Promise.resolve({ ok: false, error: { kind: 'too-large', message: `raft: entry of ${data.length} bytes exceeds the limit of ${max}` } });
      }
      return new Promise((resolve) => {
        if (batch.length === 0) queueMicrotask(flushBatch);
        batch.push({ data, resolve: resolve as (r: Result<unknown, NodeError>) => void });
      });
    },
    readIndex() {
      const ctx = Buffer.alloc(8 + o.id.length);
      ctx.writeDoubleLE(++readSeq);
      ctx.write(o.id, 8);
      const res = raft.readIndex(ctx);
      if (!res.ok) return Promise.resolve(res);
      kick();
      return new Promise((resolve) => reads.set(ctx.toString('hex'), resolve));
    },
    addMember: (id, address, learner = false) => confChange({ kind: learner ? 'addLearner' : 'addVoter', node: id, context: address }),
    removeMember: (id) => confChange({ kind: 'remove', node: id }),
    transferLeadership(to) {
      const r = raft.transferLeadership(to);
      kick();
      return r;
    },
    status: () => raft.status(),
    members: () => members,
    reachable: (id) => transport.reachable(id),
    snapshotNow,
    onLeadershipChange(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    stop,
  };
}
