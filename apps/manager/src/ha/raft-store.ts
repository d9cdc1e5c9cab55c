/**
 * Opens this manager's store over Raft: the Raft node serves on the remote
 * API's gRPC server (mutual TLS, managers only), its log lives in
 * `<state-dir>/raft`, and writes from a follower go to the leader through the
 * Peers service. A manager that joins asks a member to add it first.
 *
 *   <state-dir>/raft/{wal,snap}  ◄── startRaftNode ──► Raft service on :4242
 *          store ◄── storeStateMachine ──┘         Peers service (Propose, Join)
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { type RaftNode, startRaftNode } from '@swarm/raft';
import { type Clock, type Result, systemClock } from '@swarm/shared';
import type { Logger } from '../lib/log.js';
import { type ApplyOutcome, noQuorumMessage, replicatedProposer, storeStateMachine } from '../store/replicated.js';
import { type Store, createStore } from '../store/store.js';
import { type PeerClients, createPeerClients, createPeerService, peerServiceDef } from './peer-service.js';
import type { IdentifiableCall } from './propose-stream.js';
import { type DialAddress, peerRoutesFromEnv } from './test-routes.js';

export interface RaftStoreOptions {
  stateDir: string;
  nodeId: string;
  /** This manager's address as other managers dial it (the remote API). */
  advertise: string;
  server: grpc.Server;
  /** Client credentials towards other managers (mutual TLS). */
  credentials: grpc.ChannelCredentials;
  /** The calling manager's node ID, or why the caller is refused (not a manager of this cluster). */
  identifyManager(call: IdentifiableCall): Result<string, string>;
  /** A manager joining the cluster: any current member's address. Used only when the Raft log is empty. */
  joinAddr?: string | undefined;
  forceNewCluster?: boolean | undefined;
  /**
   * Test hook: where to dial another manager advertised at `address` (fault
   * proxies in chaos runs). Default: `$SWARM_TEST_PEER_ROUTES` (ha/test-routes.ts), else the address.
   */
  dialAddress?: DialAddress | undefined;
  /** Raft tick (default 100 ms: elections after 1–2 s). */
  tickMs?: number;
  clock?: Clock;
  log: Logger;
}

export interface RaftStore {
  store: Store;
  raft: RaftNode<ApplyOutcome>;
  peers: PeerClients;
  stop(): Promise<void>;
}

const JOIN_TIMEOUT_MS = 60_000;
export const MAX_ENTRY_BYTES = 64 << 20;

/** Asks the cluster to add this manager to Raft, following "leader is ..." redirects. */
async function joinRaft(peers: PeerClients, first: string, self: string, log: Logger): Promise<Record<string, string>> {
  let addr = first;
  const deadline = Date.now() + JOIN_TIMEOUT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await peers.join(addr, self, 10_000);
    } catch (e) {
      const msg = (e as Error).message;
      const leader = /leader is (\S+)/.exec(msg)?.[1];
      if (Date.now() > deadline) throw new Error(`could not join raft through ${first}: ${msg}`);
      if (leader) addr = leader;
      else log.warn(`joining raft through ${addr}: ${msg}; retrying`);
      await new Promise((r) => setTimeout(r, leader ? 0 : Math.min(2000, 100 * 2 ** attempt)));
    }
  }
}

/**
 * The error for a write when no leader is known. The transport cannot always
 * tell a partition from an election (a blackholed connection still looks
 * open), so a manager that has had no leader for three election timeouts says
 * "no quorum": a majority would have elected someone by then.
 */
export function leaderlessMessage(raft: Pick<RaftNode<unknown>, 'status' | 'reachable' | 'onLeadershipChange'>, electionMs: number, now: () => number = Date.now): () => string {
  let since = raft.status().leader ? undefined : now();
  raft.onLeadershipChange((c) => (since = c.leader ? undefined : (since ?? now())));
  return () => {
    const base = noQuorumMessage(raft);
    const ms = since === undefined ? 0 : now() - since;
    if (base.startsWith('no quorum') || ms < 3 * electionMs) return base;
    return `no quorum (no leader for ${(ms / 1000).toFixed(1)} s: this manager cannot reach a majority of the ${raft.status().conf.voters.length} managers)`;
  };
}

export async function openRaftStore(o: RaftStoreOptions): Promise<RaftStore> {
  const log = o.log.child({ component: 'raft' });
  const store = createStore({ clock: o.clock ?? systemClock });
  const dir = path.join(o.stateDir, 'raft');
  const fresh = !fs.existsSync(path.join(dir, 'wal')) || fs.readdirSync(path.join(dir, 'wal')).length === 0;
  const dialAddress = o.dialAddress ?? peerRoutesFromEnv((m) => log.warn(m));
  const peers = createPeerClients(o.credentials, dialAddress);
  let members: Record<string, string> = { [o.nodeId]: o.advertise };
  const joining = fresh && !!o.joinAddr;
  if (joining) {
    members = await joinRaft(peers, o.joinAddr!, o.advertise, log);
    log.info(`added to raft by the cluster; members: ${Object.keys(members).length}`);
  }
  const raft = await startRaftNode<ApplyOutcome>({
    id: o.nodeId,
    dir,
    listen: o.advertise,
    peers: members,
    join: joining,
    stateMachine: storeStateMachine(store),
    server: o.server,
    authorize: (call) => {
      const who = o.identifyManager(call);
      return who.ok ? undefined : who.error;
    },
    channelCredentials: o.credentials,
    ...(dialAddress ? { dialAddress: (_id: string, addr: string) => dialAddress(addr) } : {}),
    forceNewCluster: !!o.forceNewCluster,
    // One store batch is one entry, and one transaction can be large (scaling a service to
    // 10,000 replicas writes 10,000 tasks at once): well above SwarmKit's 1.5 MiB.
    maxEntryBytes: MAX_ENTRY_BYTES,
    ...(o.tickMs ? { tickMs: o.tickMs } : {}),
    log: (m) => log.warn(m),
  });
  o.server.addService(
    peerServiceDef,
    createPeerService({
      raft,
      identifyManager: (call) => o.identifyManager(call),
      log: (m) => log.info(m),
    }),
  );
  store.setProposer(
    replicatedProposer({
      raft,
      store,
      forward: (leaderId, data) => {
        const addr = raft.members().get(leaderId);
        if (!addr) return Promise.reject(new Error(`leader ${leaderId} has no known address`));
        return peers.propose(addr, data, 5_000);
      },
      noLeader: leaderlessMessage(raft, (o.tickMs ?? 100) * 10),
    }),
  );
  return {
    store,
    raft,
    peers,
    async stop() {
      await raft.stop();
      peers.close();
    },
  };
}
