/** SwarmKit's agent session backoff (agent/agent.go): grow, cap, then jitter in [0, backoff). */
import type { Rng } from '@swarm/shared';

export const INITIAL_BACKOFF_MS = 100;
export const MAX_BACKOFF_MS = 8000;

export const nextBackoff = (prev: number): number => Math.min(INITIAL_BACKOFF_MS + 2 * prev, MAX_BACKOFF_MS);

export const jittered = (backoff: number, rng: Rng): number => Math.floor(rng.next() * backoff);
