/**
 * Task ID → container ID for one executor, so a controller finds its task's
 * container without asking the engine each time. The engine is listed once
 * (every managed container, by label) on the first lookup; after that the
 * index learns of containers as this executor creates them. A stale entry is
 * harmless: the inspect that follows a lookup answers 404 and the entry is
 * forgotten. A failed listing is retried on the next lookup.
 */
import type Docker from 'dockerode';
import { LABEL, err, ok, type Result } from '@swarm/shared';

export interface ContainerIndex {
  /** The container of this task, undefined when it has none. */
  lookup(taskId: string): Promise<Result<string | undefined, unknown>>;
  record(taskId: string, containerId: string): void;
  forget(taskId: string): void;
  /** Asks the engine for this one task's container (e.g. after a create that conflicted). */
  refresh(taskId: string): Promise<Result<string | undefined, unknown>>;
}

export function createContainerIndex(docker: Docker, labelFilter: string[]): ContainerIndex {
  const byTask = new Map<string, string>();
  let listing: Promise<Result<void, unknown>> | undefined;

  const listAll = async (): Promise<Result<void, unknown>> => {
    try {
      const list = await docker.listContainers({ all: true, filters: { label: labelFilter } });
      for (const c of list) {
        const taskId = c.Labels?.[LABEL.taskId];
        if (taskId && !byTask.has(taskId)) byTask.set(taskId, c.Id);
      }
      return ok(undefined);
    } catch (e) {
      listing = undefined; // retry on the next lookup
      return err(e);
    }
  };

  return {
    async lookup(taskId) {
      listing ??= listAll();
      const listed = await listing;
      if (!listed.ok) return listed;
      return ok(byTask.get(taskId));
    },
    record: (taskId, containerId) => void byTask.set(taskId, containerId),
    forget: (taskId) => void byTask.delete(taskId),
    async refresh(taskId) {
      try {
        const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL.taskId}=${taskId}`] } });
        const id = list[0]?.Id;
        if (id) byTask.set(taskId, id);
        else byTask.delete(taskId);
        return ok(id);
      } catch (e) {
        return err(e);
      }
    },
  };
}
