/**
 * The apply side of the driver (node.ts): committed entries into the state
 * machine (conf changes into the core, the member list and the transport),
 * proposals resolved, snapshots of the applied state taken every
 * `snapshotInterval` entries and written once the log is durable up to them.
 */
import type { Raft } from '../core/raft.js';
import { decodeConfChange, type ConfChange, type ConfState, type Entry, type NodeId, type Ready, type Snapshot } from '../core/types.js';
import type { RaftNodeOptions, StateMachine } from './api.js';
import type { DiskStore } from './disk.js';
import { unwrapSnapshot, wrapSnapshot } from './members.js';
import type { Transport } from './transport.js';
import type { WaitRegistry } from './wait.js';

/** Load a snapshot's members and application state. */
export function restoreInto<R>(members: Map<NodeId, string>, sm: StateMachine<R>, s: Snapshot): void {
  const { members: ms, app } = unwrapSnapshot(s.data);
  for (const [id, addr] of ms) members.set(id, addr);
  sm.restore(app);
}

export interface ApplierDeps<R> {
  readonly o: Pick<RaftNodeOptions<R>, 'snapshotInterval' | 'keepEntries' | 'trace'>;
  readonly sm: StateMachine<R>;
  readonly members: Map<NodeId, string>;
  readonly waits: WaitRegistry<unknown>;
  readonly raft: Raft;
  readonly transport: Transport;
  readonly disk: DiskStore;
  readonly log: (msg: string) => void;
  readonly stopped: () => boolean;
}

export class Applier<R> {
  applied: number;
  private lastSnap: number;
  private snapshotting: Promise<void> | undefined;
  /** Snapshots waiting for the log to be durable up to their index. */
  private stableWaits: (() => void)[] = [];

  constructor(private readonly d: ApplierDeps<R>) {
    this.applied = this.lastSnap = d.disk.storage.snapshot().meta.index;
  }

  applyCommitted(rd: Ready): void {
    const last = rd.committed[rd.committed.length - 1];
    if (!last) return;
    const trace = this.d.o.trace;
    trace?.('commit', last.index);
    for (const e of rd.committed) if (e.index > this.applied) this.applyEntry(e);
    this.d.raft.appliedTo(last.index);
    trace?.('apply', this.applied);
    if (this.applied - this.lastSnap >= (this.d.o.snapshotInterval ?? 10_000)) this.snapshotNow();
  }

  /** A leader's snapshot replaced the log (it is durable): load it. */
  installed(snap: Snapshot): void {
    const { members, sm, waits, transport } = this.d;
    restoreInto(members, sm, snap);
    this.applied = this.lastSnap = snap.meta.index;
    waits.dropUpTo(this.applied);
    for (const [id, addr] of members) transport.setPeer(id, addr);
  }

  /** More of the log is durable: snapshots waiting for it may go on. */
  durable(): void {
    for (const w of this.stableWaits.splice(0)) w();
  }

  /**
   * Snapshot at the applied index. The state is captured now; the file is written
   * in the background, off the commit path (disk.ts), once the log is durable up to
   * that index here (entries may be applied before they are durable locally).
   */
  snapshotNow(): void {
    if (this.applied <= this.lastSnap || this.snapshotting) return;
    const { raft, disk, o, stopped } = this.d;
    const at = this.applied;
    const conf = raft.confState();
    const data = wrapSnapshot(this.d.members, this.d.sm.snapshot());
    o.trace?.('snapStart', at);
    this.lastSnap = at;
    this.snapshotting = (async () => {
      while (raft.stableIndex() < at && !stopped()) await new Promise<void>((res) => this.stableWaits.push(res));
      if (stopped() || at <= disk.storage.snapshot().meta.index) return;
      await disk.snapshot(at, conf, data, o.keepEntries ?? 500);
      o.trace?.('snapEnd', at);
    })()
      .catch((e: unknown) => this.d.log(`raft: snapshot at ${at} failed: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => (this.snapshotting = undefined));
  }

  /** The node stopped: let a waiting snapshot give up, and wait for one being written. */
  async stop(): Promise<void> {
    this.durable();
    await this.snapshotting;
  }

  private applyEntry(e: Entry): void {
    let value: unknown;
    if (e.type === 'conf') {
      const cc = decodeConfChange(e.data);
      if (!cc) this.d.log(`raft: ignoring undecodable conf change at ${e.index}`);
      else value = this.applyConf(cc);
    } else if (e.data.length > 0) {
      value = this.d.sm.apply({ index: e.index, term: e.term, data: e.data });
    }
    this.applied = e.index;
    this.d.waits.trigger(e.index, e.term, value);
  }

  private applyConf(cc: ConfChange): ConfState {
    const { raft, members, transport } = this.d;
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
}
