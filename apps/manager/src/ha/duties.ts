/**
 * Leader-only components (orchestrators, scheduler, dispatcher, manager
 * status) start when this manager becomes the Raft leader and stop when it
 * steps down. Transitions are serialized: a start finishes before the matching
 * stop runs, and a start that ends after leadership was lost is undone.
 *
 *   raft.onLeadershipChange ─► chain ─► leader?  read barrier ─► start() ─► duties running
 *                                       follower? stop all (reverse order)
 *
 * The read barrier: a new leader's log can hold entries its predecessor
 * committed that this manager has not applied yet (it learns they are
 * committed only once an entry of its own term commits). Duties started on
 * that stale store would decide again what was already decided; the
 * orchestrator would create a second replacement for a slot its predecessor
 * had just restarted (seen as a slot running twice in the chaos test). So
 * duties start only after a ReadIndex round (SwarmKit waits the same way for
 * the leader to apply its whole log before signalling leadership).
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

type DutiesRaft = Pick<RaftNode<unknown>, 'onLeadershipChange' | 'status' | 'readIndex'>;

/** How long one ReadIndex attempt may take before it is asked again (a read can be dropped when leadership moves). */
const BARRIER_RETRY_MS = 1000;

/** Resolves true once this leader applied everything committed before its term; false if `leading()` turns false first. */
export async function leaderCaughtUp(raft: DutiesRaft, leading: () => boolean, retryMs = BARRIER_RETRY_MS): Promise<boolean> {
  while (leading()) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((res) => (timer = setTimeout(() => res(undefined), retryMs)));
    const r = await Promise.race([raft.readIndex(), timeout]);
    if (r?.ok) {
      clearTimeout(timer);
      return leading();
    }
    // Refused at once: ask again after the pause, not in a spin; but not when that refusal was the end of
    // leadership (a stopping leader would wait out the pause for nothing).
    if (r && leading()) await timeout;
    clearTimeout(timer);
  }
  return false;
}

export function runLeaderDuties(opts: {
  raft: DutiesRaft;
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
      const leading = () => !stopped && opts.raft.status().role === 'leader';
      const leader = leading();
      if (leader && !active) {
        if (!(await leaderCaughtUp(opts.raft, leading))) return; // lost leadership first: the change that ended it syncs again
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
