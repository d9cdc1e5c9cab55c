import type { RestartPolicy, UpdateConfig } from '@swarm/shared';

/** SwarmKit's defaults for a service without a restart policy / update config (swarmkit.md). */
export const DEFAULT_RESTART: RestartPolicy = { condition: 'any', delayMs: 5000, maxAttempts: 0, windowMs: 0 };
export const DEFAULT_UPDATE: UpdateConfig = { parallelism: 1, delayMs: 0, failureAction: 'pause', monitorMs: 5000, maxFailureRatio: 0, order: 'stop-first' };
