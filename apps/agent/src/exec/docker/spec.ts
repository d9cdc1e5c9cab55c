/** Task → `docker create` options. Pure, so it is unit-tested without an engine. */
import type Docker from 'dockerode';
import { LABEL, taskName, type Task } from '@swarm/shared';

export const DEFAULT_GRACE_MS = 10_000;
const NS_PER_MS = 1_000_000;

export function taskLabels(task: Task, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...task.spec.container.labels,
    ...extra,
    [LABEL.managed]: 'true',
    [LABEL.serviceId]: task.serviceId,
    [LABEL.serviceName]: task.serviceAnnotations.name,
    [LABEL.taskId]: task.id,
    [LABEL.taskName]: taskName(task),
    [LABEL.nodeId]: task.nodeId ?? '',
  };
}

export const usesHostNetwork = (task: Task): boolean =>
  (task.endpoint?.ports ?? []).some((p) => p.publishMode === 'host' && p.publishedPort > 0);

/** Network of containers that publish no host ports: isolated (`none`, the default) or the host's. */
export type DefaultNetwork = 'none' | 'host';

export function createOptions(task: Task, extraLabels: Record<string, string> = {}, network: DefaultNetwork = 'none'): Docker.ContainerCreateOptions {
  const c = task.spec.container;
  const limits = task.spec.resources.limits;
  const hostConfig: Docker.HostConfig = {
    Init: c.init !== false,
    NetworkMode: usesHostNetwork(task) ? 'host' : network,
  };
  if (limits.nanoCpus > 0) hostConfig.NanoCpus = limits.nanoCpus;
  if (limits.memoryBytes > 0) hostConfig.Memory = limits.memoryBytes;
  const opts: Docker.ContainerCreateOptions = {
    name: taskName(task),
    Image: c.image,
    Env: c.env,
    Labels: taskLabels(task, extraLabels),
    HostConfig: hostConfig,
  };
  if (c.command.length > 0) opts.Entrypoint = c.command;
  if (c.args.length > 0) opts.Cmd = c.args;
  if (c.dir) opts.WorkingDir = c.dir;
  if (c.user) opts.User = c.user;
  if (c.hostname) opts.Hostname = c.hostname;
  const hc = c.healthcheck;
  if (hc && hc.test.length > 0) {
    opts.Healthcheck = {
      Test: hc.test,
      Interval: hc.intervalMs * NS_PER_MS,
      Timeout: hc.timeoutMs * NS_PER_MS,
      Retries: hc.retries,
      StartPeriod: hc.startPeriodMs * NS_PER_MS,
    };
  }
  return opts;
}

export const hasHealthcheck = (task: Task): boolean => {
  const t = task.spec.container.healthcheck?.test ?? [];
  return t.length > 0 && t[0] !== 'NONE';
};

/** `docker stop -t` takes whole seconds. */
export const graceSeconds = (task: Task): number =>
  Math.ceil((task.spec.container.stopGracePeriodMs ?? DEFAULT_GRACE_MS) / 1000);

export const exitMessage = (code: number): string => `task: non-zero exit (${code})`;
