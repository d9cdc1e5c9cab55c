/**
 * API inputs. Every procedure validates with one of these; errors name the field
 * (zod issue paths, formatted by `formatZodError`).
 */
import { z } from 'zod';
import { NodeAvailability, NodeRole, ServiceSpecSchema } from './objects.js';
import { validateTaskPlacement } from './placement.js';

export const SERVICE_NAME_RE = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;

export const ServiceSpecInput = ServiceSpecSchema.superRefine((spec, ctx) => {
  const name = spec.annotations.name;
  if (name.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['annotations', 'name'], message: 'name is required' });
  } else if (name.length > 63 || !SERVICE_NAME_RE.test(name)) {
    ctx.addIssue({
      code: 'custom',
      path: ['annotations', 'name'],
      message: `invalid name "${name}": use 1-63 letters, digits, '-' or '_', starting and ending with a letter or digit`,
    });
  }
  if (spec.task.container.image.trim().length === 0) {
    ctx.addIssue({ code: 'custom', path: ['task', 'container', 'image'], message: 'image is required' });
  }
  for (const [i, e] of spec.task.container.env.entries()) {
    if (!/^[^=]+=/.test(e)) ctx.addIssue({ code: 'custom', path: ['task', 'container', 'env', i], message: `env "${e}" must be NAME=VALUE` });
  }
  const isJob = spec.mode.kind === 'replicated-job' || spec.mode.kind === 'global-job';
  if (isJob && spec.update) ctx.addIssue({ code: 'custom', path: ['update'], message: 'jobs may not have an update config' });
  const r = spec.task.resources.reservations;
  if (r.nanoCpus !== 0 && r.nanoCpus < 1e6) ctx.addIssue({ code: 'custom', path: ['task', 'resources', 'reservations', 'nanoCpus'], message: 'invalid cpu value: must be at least 0.001' });
  if (r.memoryBytes !== 0 && r.memoryBytes < 4 * 1024 * 1024) ctx.addIssue({ code: 'custom', path: ['task', 'resources', 'reservations', 'memoryBytes'], message: 'invalid memory value: must be at least 4MiB' });
  for (const issue of validateTaskPlacement(spec.task)) ctx.addIssue({ code: 'custom', ...issue });
});
export type ServiceSpecInput = z.input<typeof ServiceSpecInput>;

/** An object reference as users type it: a full ID, an exact name, or a unique ID prefix. */
export const Ref = z.string().trim().min(1, 'an ID or name is required');

export const ServiceCreateInput = z.object({ spec: ServiceSpecInput });
export const ServiceUpdateInput = z.object({
  ref: Ref,
  /** The `meta.version` the caller read; a stale version is refused. Omit to update the latest. */
  version: z.number().int().nonnegative().optional(),
  spec: ServiceSpecInput,
  /** Redeploy every task even if the spec is unchanged. */
  force: z.boolean().optional(),
});
export const ServiceScaleInput = z.object({ ref: Ref, replicas: z.number().int().nonnegative('replicas must be 0 or more') });
export const RefInput = z.object({ ref: Ref });

export const TaskListInput = z
  .object({
    service: z.string().optional(),
    node: z.string().optional(),
    /** Include tasks whose desired state is past RUNNING (history). */
    all: z.boolean().optional(),
  })
  .default({});

export const NodeUpdateInput = z.object({
  ref: Ref,
  availability: NodeAvailability.optional(),
  desiredRole: NodeRole.optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

export const WatchInput = z
  .object({
    /** The store version last seen; the stream resumes after it (tRPC's tracked-event cursor). */
    lastEventId: z.string().regex(/^\d+$/).nullish(),
  })
  .default({});

/** Formats zod issues as "path.to.field: message; ..." */
export function formatZodError(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((i) => {
      const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.').replace(/\.(\d+)(?=\.|$)/g, '[$1]');
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join('; ');
}

export const ClusterUpdateInput = z.object({
  rotateJoinToken: z.enum(['worker', 'manager']).optional(),
  nodeCertExpiryMs: z.number().int().positive('certexpiry must be positive').optional(),
  heartbeatPeriodMs: z.number().int().min(100, 'heartbeat period must be at least 100ms').optional(),
  maxHeartbeatsPerSecond: z.number().min(1, 'max heartbeat rate must be at least 1 per second').max(1_000_000, 'max heartbeat rate must be at most 1000000 per second').optional(),
  taskHistoryRetentionLimit: z.number().int().optional(),
});
