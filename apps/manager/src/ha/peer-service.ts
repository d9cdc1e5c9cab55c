/**
 * Manager-to-manager calls beside Raft itself, on the remote API port with
 * mutual TLS; only manager certificates are served:
 *   ProposeStream       a follower's writes, proposed by the leader → ApplyOutcome each
 *                       (one stream per follower and leader: propose-stream.ts)
 *   Propose(entry)      the same as one unary call (managers without ProposeStream)
 *   Join({addr})        a manager that just got its certificate asks to become a Raft member
 * A non-leader answers FAILED_PRECONDITION "not the leader; leader is <addr>".
 * Messages are JSON (the entries already are).
 */
import * as grpc from '@grpc/grpc-js';
import { z } from 'zod';
import type { RaftNode } from '@swarm/raft';
import { type Result, formatZodError } from '@swarm/shared';
import type { ApplyOutcome } from '../store/replicated.js';
import { type IdentifiableCall, StreamError, createProposeStreams, serveProposeStream } from './propose-stream.js';

const json = {
  serialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  deserialize: (b: Buffer): unknown => JSON.parse(b.toString('utf8')),
};
const raw = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b };

const method = (name: string, req: typeof json | typeof raw) => ({
  path: `/swarm.manager.v1.Peers/${name}`,
  requestStream: false,
  responseStream: false,
  requestSerialize: req.serialize,
  requestDeserialize: req.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
  originalName: name,
});
const stream = { ...method('ProposeStream', raw), requestStream: true, responseStream: true, responseSerialize: raw.serialize, responseDeserialize: raw.deserialize };
export const peerServiceDef = { Propose: method('Propose', raw), Join: method('Join', json), ProposeStream: stream } as unknown as grpc.ServiceDefinition;

const JoinRequest = z.object({ addr: z.string().regex(/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'host:port') });
const OutcomeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('applied'), index: z.number() }),
  z.object({ kind: z.literal('conflict'), index: z.number(), version: z.number() }),
  z.object({ kind: z.literal('none'), index: z.number() }),
]);
const MembersSchema = z.object({ members: z.record(z.string(), z.string()) });

export interface PeerServiceDeps {
  raft: RaftNode<ApplyOutcome>;
  /** The calling manager's node ID, or a refusal. */
  identifyManager(call: IdentifiableCall): Result<string, string>;
  log: (msg: string) => void;
}

const fail = (code: grpc.status, details: string): Partial<grpc.StatusObject> => ({ code, details });

export function notLeaderDetails(raft: Pick<RaftNode<unknown>, 'status' | 'members'>): string {
  const leader = raft.status().leader;
  const addr = leader ? raft.members().get(leader) : undefined;
  return addr ? `not the leader; leader is ${addr}` : 'not the leader; no leader elected';
}

export function createPeerService(d: PeerServiceDeps): grpc.UntypedServiceImplementation {
  const guard = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>): string | undefined => {
    const who = d.identifyManager(call);
    if (!who.ok) return void cb(fail(grpc.status.PERMISSION_DENIED, who.error));
    if (d.raft.status().role !== 'leader') return void cb(fail(grpc.status.FAILED_PRECONDITION, notLeaderDetails(d.raft)));
    return who.value;
  };
  return {
    ProposeStream(call: grpc.ServerDuplexStream<Buffer, Buffer>) {
      serveProposeStream(call, { raft: d.raft, identifyManager: (c) => d.identifyManager(c), notLeader: () => notLeaderDetails(d.raft) });
    },
    Propose(call: grpc.ServerUnaryCall<Buffer, unknown>, cb: grpc.sendUnaryData<unknown>) {
      if (guard(call, cb) === undefined) return;
      void d.raft.propose(new Uint8Array(call.request)).then((r) =>
        r.ok ? cb(null, r.value) : cb(fail(r.error.kind === 'not-leader' ? grpc.status.FAILED_PRECONDITION : grpc.status.UNAVAILABLE, r.error.message)),
      );
    },
    Join(call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const id = guard(call, cb);
      if (id === undefined) return;
      const req = JoinRequest.safeParse(call.request);
      if (!req.success) return cb(fail(grpc.status.INVALID_ARGUMENT, `invalid join request: ${formatZodError(req.error)}`));
      const known = d.raft.members().get(id);
      const done = () => cb(null, { members: Object.fromEntries(d.raft.members()) });
      if (known === req.data.addr && d.raft.status().conf.voters.includes(id)) return done();
      void d.raft.addMember(id, req.data.addr).then((r) => {
        if (!r.ok) return cb(fail(grpc.status.UNAVAILABLE, `cannot add ${id} to raft: ${r.error.message}`));
        d.log(`manager ${id} joined raft at ${req.data.addr}`);
        done();
      });
    },
  };
}

type UnaryClient = grpc.Client &
  Record<'Propose' | 'Join', (req: unknown, md: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: unknown) => void) => void> & {
    ProposeStream(md: grpc.Metadata): grpc.ClientDuplexStream<Buffer, Buffer>;
  };
const PeersClient = grpc.makeGenericClientConstructor(peerServiceDef, 'Peers') as unknown as new (addr: string, c: grpc.ChannelCredentials, o?: grpc.ChannelOptions) => UnaryClient;

/**
 * Clients to other managers, one channel per address, reused. `dialAddress`
 * (a test hook: fault proxies) says where to dial a manager advertised at `addr`.
 */
export function createPeerClients(creds: grpc.ChannelCredentials, dialAddress?: (addr: string) => string) {
  const clients = new Map<string, UnaryClient>();
  const client = (addr: string) => {
    let c = clients.get(addr);
    if (!c) clients.set(addr, (c = new PeersClient(dialAddress?.(addr) ?? addr, creds, { 'grpc.ssl_target_name_override': 'swarm-manager' })));
    return c;
  };
  const call = (addr: string, m: 'Propose' | 'Join', req: unknown, timeoutMs: number) =>
    new Promise<unknown>((resolve, reject) =>
      client(addr)[m](req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (e, r) => (e ? reject(new Error(`${addr}: ${e.details || e.message}`)) : resolve(r))),
    );
  const streams = createProposeStreams((addr) => client(addr).ProposeStream(new grpc.Metadata()));
  /** Leaders that answered UNIMPLEMENTED to ProposeStream (older managers): unary calls. */
  const unaryOnly = new Set<string>();
  /** The leader's outcome over the stream (or a unary call); rejects with "<addr>: <why>". */
  const forward = async (addr: string, data: Uint8Array, timeoutMs: number): Promise<unknown> => {
    if (unaryOnly.has(addr)) return call(addr, 'Propose', Buffer.from(data), timeoutMs);
    try {
      const a = await streams.send(addr, data, timeoutMs);
      if ('e' in a) throw new Error(`${addr}: ${a.e.details}`);
      return a.o;
    } catch (e) {
      // Not implemented there: the request never reached a handler, so sending it again is safe.
      if (!(e instanceof StreamError) || e.code !== grpc.status.UNIMPLEMENTED) throw e;
      unaryOnly.add(addr);
      return call(addr, 'Propose', Buffer.from(data), timeoutMs);
    }
  };
  return {
    async propose(addr: string, data: Uint8Array, timeoutMs: number): Promise<ApplyOutcome> {
      const answer = await forward(addr, data, timeoutMs).catch((e: Error) => {
        throw new Error(`the leader did not answer (${e.message}); the write may or may not have been applied`);
      });
      const r = OutcomeSchema.safeParse(answer);
      if (!r.success) throw new Error(`leader ${addr} answered an invalid outcome: ${formatZodError(r.error)}`);
      return r.data;
    },
    async join(addr: string, self: string, timeoutMs: number): Promise<Record<string, string>> {
      const r = MembersSchema.safeParse(await call(addr, 'Join', { addr: self }, timeoutMs));
      if (!r.success) throw new Error(`manager ${addr} answered an invalid member list: ${formatZodError(r.error)}`);
      return r.data.members;
    },
    close() {
      streams.close();
      for (const c of clients.values()) c.close();
      clients.clear();
    },
  };
}
export type PeerClients = ReturnType<typeof createPeerClients>;
