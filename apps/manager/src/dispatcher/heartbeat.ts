/**
 * Heartbeat tracking: each heartbeat re-arms a node's timer to grace × period;
 * when it runs out the node is declared DOWN. Periods carry jitter so a fleet
 * does not beat in lockstep (SwarmKit: period ± 0.5 s, grace ×3), and stretch
 * with the fleet so the leader answers at most a set number per second (Nomad).
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
/**
 * Default cap on the heartbeats the leader asks for (cluster `dispatcher.maxHeartbeatsPerSecond`), as Nomad
 * caps its servers' heartbeat rate (`max_heartbeats_per_second`, 50 there): the period handed out is at least
 * nodes ÷ this. A heartbeat is a gRPC call over mutual TLS costing the leader about a millisecond of CPU
 * (`npm run bench:heartbeat`), so 5,000 nodes beating every 5 s would take a whole core; capped, they beat
 * every 50 s (10 % of a core). Up to 100 nodes the configured period applies unchanged. The price: a node that
 * goes silent without its connection dropping is noticed later in a large cluster (period × grace).
 */
export const DEFAULT_MAX_HEARTBEATS_PER_SECOND = 100;

export interface HeartbeatTracker {
  /** Re-arms the node's timer and returns the period the agent should wait. */
  beat(nodeId: string, extraGrace?: number): number;
  /**
   * The node's session stream dropped: it has SESSION_LOST_GRACE of the usual window to open a new one.
   * The window follows the configured period, not the one stretched by the rate cap: a live agent
   * reconnects within ~100 ms however large the cluster.
   */
  lost(nodeId: string): void;
  forget(nodeId: string): void;
  stop(): void;
}

export function createHeartbeatTracker(opts: {
  clock: Clock;
  rng: Rng;
  periodMs: () => number;
  /** Heartbeats per second the whole fleet may send (0 or absent: no cap). */
  maxPerSecond?: () => number;
  graceMultiplier?: number;
  onExpired: (nodeId: string) => void;
}): HeartbeatTracker {
  const timers = new Map<string, { cancel(): void }>();
  const grace = opts.graceMultiplier ?? DEFAULT_GRACE_MULTIPLIER;
  const arm = (nodeId: string, ms: number) => {
    timers.get(nodeId)?.cancel();
    timers.set(
      nodeId,
      opts.clock.setTimeout(() => {
        timers.delete(nodeId);
        opts.onExpired(nodeId);
      }, ms),
    );
  };
  return {
    beat(nodeId, extraGrace = 1) {
      const rate = opts.maxPerSecond?.() ?? 0;
      const nodes = timers.size + (timers.has(nodeId) ? 0 : 1);
      const base = Math.max(opts.periodMs(), rate > 0 ? Math.ceil((nodes / rate) * 1000) : 0);
      const jitter = Math.min(500, base / 10);
      const period = Math.round(base - jitter + opts.rng.next() * 2 * jitter);
      arm(nodeId, period * grace * extraGrace);
      return period;
    },
    lost(nodeId) {
      arm(nodeId, opts.periodMs() * grace * SESSION_LOST_GRACE);
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
