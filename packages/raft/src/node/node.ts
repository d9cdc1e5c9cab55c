/**
 * The async driver around the pure core (asynchronous storage writes, as etcd's
 * AsyncStorageWrites). Readys are taken as soon as there is work:
 *   1. at once: a leader's appends/heartbeats go out (transport.ts); committed
 *      entries are applied and their proposals resolved (applier.ts); reads,
 *      role changes
 *   2. queued for the disk: one durable WAL write at a time (disk.ts), holding
 *      every Ready taken since the previous one started (group commit)
 *   3. once durable, in order: responses and votes are sent, advance(); the
 *      core then counts a leader's own entries towards a commit
 * A leader's snapshot is persisted alone, after the writes before it, then restored.
 * Proposals arriving in the same turn of the event loop are batched into one append
 * (requests.ts); a new commit index waits for the next append while they flow.
 */
import { Raft, notLeader, type ProposeError, type Result } from '../core/raft.js';
import type { ConfChange, ConfState, Message, NodeId, Ready, Snapshot } from '../core/types.js';
import type { LeadershipChange, NodeError, RaftNode, RaftNodeOptions } from './api.js';
import { DiskStore } from './disk.js';
import { Applier, restoreInto } from './applier.js';
import { bootstrapEntries } from './members.js';
import { forceNewCluster } from './force.js';
import { createGrpcTransport, type Transport } from './transport.js';
import { ProposalBatcher, ReadTracker } from './requests.js';
import { WaitRegistry } from './wait.js';

export type { AppliedEntry, LeadershipChange, NodeError, RaftNode, RaftNodeOptions, StateMachine, TraceStage } from './api.js';

const LEADER_EARLY = new Set<string>(['app', 'heartbeat', 'snap', 'timeoutNow']);
/**
 * While proposals arrive at least this often (the last two batches this close, the
 * last one this recent), a new commit index rides on the next append instead of an
 * append of its own to each follower; once they stop, it goes out within this long.
 */
const LAZY_COMMIT_MS = 2;

export async function startRaftNode<R>(o: RaftNodeOptions<R>): Promise<RaftNode<R>> {
  const log = o.log ?? (() => {});
  const trace = o.trace;
  if (o.forceNewCluster) await forceNewCluster(o, log);
  const disk = new DiskStore(o.dir, { warn: log });
  if (disk.fresh && !o.join) await disk.bootstrap(bootstrapEntries(o.peers));
  const members = new Map<NodeId, string>(Object.entries(o.peers));
  const sm = o.stateMachine;
  const snap0 = disk.storage.snapshot();
  if (snap0.meta.index > 0) restoreInto(members, sm, snap0);

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
    lazyCommit: true,
  });
  const waits = new WaitRegistry<unknown>();
  const reads = new ReadTracker(o.id);
  const proposals = new ProposalBatcher(raft, waits, {
    stopped: () => stopped,
    appended: (last) => {
      trace?.('propose', last);
      kick();
    },
  });
  const listeners = new Set<(c: LeadershipChange) => void>();
  const strangers = new Set<NodeId>();
  let stopped = false;
  let wake: (() => void) | undefined;
  let commitTimer: NodeJS.Timeout | undefined;
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
      if (raft.commitDue()) commitNews();
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
  const applier = new Applier({ o, sm, members, waits, raft, transport, disk, log, stopped: () => stopped });

  /**
   * The leader's commit index advanced. Proposals flowing: the next append carries it
   * (a timer looks again every LAZY_COMMIT_MS and sends it once they stop). Otherwise:
   * tell the followers now.
   */
  function commitNews(): void {
    if (commitTimer) return;
    if (!proposals.flowing(LAZY_COMMIT_MS)) return raft.flushCommit();
    const sent = proposals.batches;
    commitTimer = setTimeout(() => {
      commitTimer = undefined;
      if (stopped || !raft.commitDue()) return;
      // Still flowing, and an append went out meanwhile: it carried the commit of its time; wait for the next.
      if (proposals.batches !== sent && proposals.flowing(LAZY_COMMIT_MS)) return commitNews();
      raft.flushCommit();
      kick();
    }, LAZY_COMMIT_MS);
  }

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

  /**
   * What a Ready needs that does not wait for its fsync: a leader's appends,
   * heartbeats and snapshots go out at once (its own log counts towards a commit
   * only once durable, see Raft.advance); committed entries are applied at once
   * (a quorum has them durably, even if this node does not yet); reads, role
   * changes. Returns the messages that must wait (responses, votes).
   */
  function takeReady(rd: Ready): readonly Message[] {
    const lastNew = rd.entries[rd.entries.length - 1]?.index;
    if (trace && lastNew !== undefined) trace('append', lastNew);
    let later = rd.messages;
    if (raft.isLeader()) {
      transport.send(rd.messages.filter((m) => LEADER_EARLY.has(m.type)));
      later = rd.messages.filter((m) => !LEADER_EARLY.has(m.type));
    }
    if (!rd.snapshot) applier.applyCommitted(rd);
    reads.confirmed(rd.readStates, applier.applied);
    if (rd.softState) {
      const c = { leader: rd.softState.leader, isLeader: rd.softState.role === 'leader', term: raft.r.term };
      for (const l of listeners) l(c);
    }
    return later;
  }

  /** `rd` is durable and what waited for it was sent: tell the core. Called in the order the Readys were taken. */
  function finishReady(rd: Ready): void {
    const lastNew = rd.entries[rd.entries.length - 1]?.index;
    if (trace && lastNew !== undefined) trace('persisted', lastNew);
    raft.advance(rd);
    const bootstrapSingle = raft.r.voters.length === 1 && raft.r.voters[0] === o.id && raft.r.lead === '' && !o.join;
    if (bootstrapSingle && raft.r.role.kind === 'follower') raft.campaign();
    applier.durable();
    kick();
  }

  /**
   * Readys taken but not yet durable. One WAL write (and fdatasync) at a time;
   * everything taken meanwhile goes into the next one (group commit).
   */
  const queued: { rd: Ready; later: readonly Message[] }[] = [];
  let writing = false;
  let writer: Promise<void> = Promise.resolve();
  async function writeQueued(): Promise<void> {
    try {
      while (queued.length > 0) {
        const batch = queued.splice(0);
        await disk.persistAll(batch.map((q) => q.rd));
        transport.send(batch.length === 1 ? batch[0]!.later : batch.flatMap((q) => q.later)); // one frame per peer
        for (const q of batch) finishReady(q.rd);
      }
    } finally {
      // Cleared in the same turn the queue is seen empty: a Ready queued after this starts a new writer.
      writing = false;
    }
  }
  function startWriter(): void {
    if (writing) return;
    writing = true;
    writer = writeQueued().catch(fatal);
  }

  /** A leader's snapshot replaces the log: persisted alone, after every write before it, then restored. */
  async function installSnapshot(rd: Ready, snap: Snapshot): Promise<void> {
    const later = takeReady(rd);
    while (writing) await writer;
    await disk.persist(rd);
    applier.installed(snap);
    applier.applyCommitted(rd);
    transport.send(later);
    finishReady(rd);
  }

  function fatal(e: unknown): void {
    log(`raft: fatal error in the node loop, stopping: ${e instanceof Error ? e.stack : String(e)}`);
    void stop();
  }

  const loopDone = (async () => {
    while (!stopped) {
      if (!raft.hasReady()) {
        await new Promise<void>((res) => (wake = res));
        continue;
      }
      const rd = raft.ready();
      if (rd.snapshot) await installSnapshot(rd, rd.snapshot);
      else {
        queued.push({ rd, later: takeReady(rd) });
        startWriter();
      }
    }
    while (writing) await writer;
  })().catch(fatal);

  const ticker = setInterval(() => {
    raft.tick();
    kick();
  }, o.tickMs ?? 100);


  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    clearInterval(ticker);
    clearTimeout(commitTimer);
    kick();
    await loopDone;
    waits.cancelAll('raft: node stopped');
    reads.cancelAll();
    await transport.close();
    await applier.stop();
    await disk.close();
  }

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
      return proposals.add(data) as Promise<Result<R, NodeError>>;
    },
    readIndex() {
      const ctx = reads.nextContext();
      const res = raft.readIndex(ctx);
      if (!res.ok) return Promise.resolve(res);
      kick();
      return reads.wait(ctx);
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
    snapshotNow: () => applier.snapshotNow(),
    onLeadershipChange(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    stop,
  };
}
