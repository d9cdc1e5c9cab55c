'use client';
import { useMemo, useSyncExternalStore } from 'react';
import type { Node, Service, Task, Cluster } from '@swarm/shared';
import { useLiveStore } from './provider';
import { initialLiveState, type ConnectionStatus, type LiveState } from './store';
import { replicaCounts, type ReplicaCounts } from './selectors';
import type { LiveEvent } from './events';

/**
 * Subscribes to one slice of the live store. `select` must return something
 * whose identity only changes when the data does (a table map, a field).
 */
export function useLive<T>(select: (s: LiveState) => T): T {
  const store = useLiveStore();
  return useSyncExternalStore(
    store.subscribe,
    () => select(store.getState()),
    () => select(initialLiveState),
  );
}

export const useNodes = (): ReadonlyMap<string, Node> => useLive((s) => s.nodes);
export const useServices = (): ReadonlyMap<string, Service> => useLive((s) => s.services);
export const useTasks = (): ReadonlyMap<string, Task> => useLive((s) => s.tasks);
export const useClusters = (): ReadonlyMap<string, Cluster> => useLive((s) => s.clusters);
export const useConnection = (): ConnectionStatus => useLive((s) => s.connection);
export const useVersion = (): number => useLive((s) => s.version);
/** True once the first snapshot arrived (tables are meaningful). */
export const useSynced = (): boolean => useLive((s) => s.version >= 0);

/** One computation per (services, tasks) pair, shared by every component that asks (header, screens). */
let countsCache: { services: unknown; tasks: unknown; out: Map<string, ReplicaCounts> } | undefined;
function sharedReplicaCounts(services: ReadonlyMap<string, Service>, tasks: ReadonlyMap<string, Task>): Map<string, ReplicaCounts> {
  if (countsCache && countsCache.services === services && countsCache.tasks === tasks) return countsCache.out;
  const out = replicaCounts(services, tasks);
  countsCache = { services, tasks, out };
  return out;
}

export function useReplicaCounts(): Map<string, ReplicaCounts> {
  const services = useServices();
  const tasks = useTasks();
  return useMemo(() => sharedReplicaCounts(services, tasks), [services, tasks]);
}

/** The cluster object (one per swarm), as the stream carries it: no CA key, no credentials. */
export function useCluster(): Cluster | undefined {
  const clusters = useClusters();
  return useMemo(() => [...clusters.values()][0], [clusters]);
}

/** The event timeline (newest first), derived from this tab's commits. */
export const useEvents = (): readonly LiveEvent[] => useLive((s) => s.events);
