/**
 * Heartbeat tracking: each heartbeat re-arms a node's timer to grace × period;
 * when it runs out the node is declared DOWN. Periods carry jitter so a fleet
 * does not beat in lockstep (SwarmKit: period ± 0.5 s, grace ×3).
 */
import type { Clock, Rng } from '@swarm/shared';

/**
 * Our default heartbeat period (cluster `dispatcher.heartbeatPeriodMs`): 1 s (SwarmKit: 5 s, grace ×3,
 * DOWN after ~15 s). Grace ×5: a node that goes silent is DOWN after ~5 s, which leaves room for
 * starved processes on a loaded machine. A node whose connection drops (crash, kill -9) is DOWN
 * after ~1.5 s unless it opens a new session (SESSION_LOST_GRACE), so its tasks run elsewhere within 5 s.
 */
export const DEFAULT_HEARTBEAT_PERIOD_MS = 1000;
export const DEFAULT_GRACE_MULTIPLIER = 5;
/** Extra-grace factor when a node's session stream drops: period × grace × this ≈ 1.5 periods to reconnect. */
export const SESSION_LOST_GRACE = 0.3;

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
  const grace = opts.graceMultiplier ?? DEFAULT_GRACE_MULTIPLIER;
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
