/** Harness-side service helpers for specs that start from an existing service (created through the API, not the page). */
import { randomBytes } from 'node:crypto';
import type { Service } from '@swarm/shared';
import { mutate } from './api.js';
import { containersOfService } from './docker.js';
import type { SwarmNode } from './swarmd.js';

export const uniqueName = (prefix: string): string => `${prefix}-${randomBytes(3).toString('hex')}`;

/** `local/busybox:1` running `sleep 3600`, replicated; `extra` is merged into the spec (update config, placement…). */
export function createSleeper(swarm: SwarmNode, name: string, replicas: number, extra: Record<string, unknown> = {}, task: Record<string, unknown> = {}): Promise<Service> {
  return mutate<Service>(swarm, 'service.create', {
    spec: {
      annotations: { name, labels: {} },
      task: { container: { image: 'local/busybox:1', command: ['sleep'], args: ['3600'], env: [] }, ...task },
      mode: { kind: 'replicated', replicas },
      ...extra,
    },
  });
}

/** Removes the service (if still there) and waits until its containers are gone. */
export async function removeService(swarm: SwarmNode, name: string, timeoutMs = 30_000): Promise<void> {
  await mutate(swarm, 'service.remove', { ref: name }).catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  while ((await containersOfService(name, swarm.runLabel)).length > 0) {
    if (Date.now() > deadline) throw new Error(`containers of ${name} still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
