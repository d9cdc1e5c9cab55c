/**
 * Leader-only components (orchestrators, scheduler, dispatcher, manager
 * status) start when this manager becomes the Raft leader and stop when it
 * steps down. Transitions are serialized: a start finishes before the matching
 * stop runs, and a start that ends after leadership was lost is undone.
 *
 *   raft.onLeadershipChange ─► chain ─► leader?  start() ─► duties running
 *                                       follower? stop all (reverse order)
 */
import type * as grpc from '@grpc/grpc-js';
import type { RaftNode } from '@swarm/raft';

export interface Duty {
  stop(): Promise<void>;
  idle?(): Promise<void>;
}

export interface LeaderDuties {
  isActive(): boolean;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export function runLeaderDuties(opts: {
  raft: Pick<RaftNode<unknown>, 'onLeadershipChange' | 'status'>;
  start: () => Promise<Duty[]>;
  log: (msg: string) => void;
}): LeaderDuties {
  let running: Duty[] = [];
  let active = false;
  let stopped = false;
  let chain = Promise.resolve();
  const stopAll = async () => {
    const r = running.reverse();
    running = [];
    active = false;
    for (const d of r) await d.stop().catch((e: unknown) => opts.log(`stopping a leader duty failed: ${String(e)}`));
  };
  const sync = () => {
    chain = chain.then(async () => {
      const leader = !stopped && opts.raft.status().role === 'leader';
      if (leader && !active) {
        opts.log('became the leader: starting the orchestrators, scheduler and dispatcher');
        active = true;
        try {
          running = await opts.start();
        } catch (e) {
          opts.log(`starting leader duties failed: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (opts.raft.status().role !== 'leader' || stopped) sync();
      } else if (!leader && active) {
        opts.log('no longer the leader: stopping leader duties');
        await stopAll();
      }
    });
  };
  const off = opts.raft.onLeadershipChange(sync);
  sync();
  return {
    isActive: () => active,
    idle: async () => {
      await chain;
      await Promise.all(running.map((d) => d.idle?.()));
    },
    async stop() {
      stopped = true;
      off();
      sync();
      await chain;
    },
  };
}

/**
 * A gRPC implementation that hands each call to the current leader-only
 * implementation, or refuses it (UNAVAILABLE, with where the leader is).
 */
export function delegatingService(
  methods: string[],
  current: () => grpc.UntypedServiceImplementation | undefined,
  refusal: () => Partial<grpc.StatusObject>,
): grpc.UntypedServiceImplementation {
  const impl: Record<string, (...args: unknown[]) => void> = {};
  for (const m of methods) {
    impl[m] = (call: unknown, cb?: unknown) => {
      const target = current()?.[m] as ((...a: unknown[]) => void) | undefined;
      if (target) return target(call, cb);
      const err = Object.assign(new Error(refusal().details), refusal());
      if (typeof cb === 'function') (cb as (e: unknown) => void)(err);
      else (call as { emit(ev: string, e: unknown): void }).emit('error', err);
    };
  }
  return impl as grpc.UntypedServiceImplementation;
}
