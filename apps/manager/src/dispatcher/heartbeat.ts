/**
 * Heartbeat tracking: each heartbeat re-arms a node's timer to grace × period;
 * when it runs out the node is declared DOWN. Periods carry jitter so a fleet
 * does not beat in lockstep (SwarmKit: period ± 0.5 s, grace ×3).
 */
import type { Clock, Rng } from '@swarm/shared';

export interface HeartbeatTracker {
  /** Re-arms the node's timer and returns the period the agent should wait. */
  beat(nodeId: string, extraGrace?: number): number;
  forget(nodeId: string): void;
  stop(): void;
}

export function createHeartbeatTracker(opts: {
  clock: Clock;
  rng: Rng;
  periodMs: () => number;
  graceMultiplier?: number;
  onExpired: (nodeId: string) => void;
}): HeartbeatTracker {
  const timers = new Map<string, { cancel(): void }>();
  const grace = opts.graceMultiplier ?? 3;
  return {
    beat(nodeId, extraGrace = 1) {
      const base = opts.periodMs();
      const jitter = Math.min(500, base / 10);
      const period = Math.round(base - jitter + opts.rng.next() * 2 * jitter);
      timers.get(nodeId)?.cancel();
      timers.set(
        nodeId,
        opts.clock.setTimeout(() => {
          timers.delete(nodeId);
          opts.onExpired(nodeId);
        }, period * grace * extraGrace),
      );
      return period;
    },
    forget(nodeId) {
      timers.get(nodeId)?.cancel();
      timers.delete(nodeId);
    },
    stop() {
      for (const t of timers.values()) t.cancel();
      timers.clear();
    },
  };
}
