/** Node description and executor detection (swarmkit.md §7.6). */
import { pino, type Logger } from 'pino';
import type { NodeDescription } from '@swarm/shared';
import type { Executor } from './executor.js';
import { DEFAULT_ENGINE_ADDR, connectEngine } from './docker/engine.js';

/** What this node reports to the dispatcher; `hostname` overrides the engine's name. */
export async function describeNode(executor: Executor, hostname?: string): Promise<NodeDescription> {
  const d = await executor.describe();
  return { ...d, hostname: hostname ?? d.hostname, executor: executor.name };
}

/**
 * Adds what the node's operator declares to what the executor reports:
 * `--generic-node-resources gpu=2,fpga=1` (SwarmKit's flag) and, for executors
 * without an engine (sim, process), engine labels; Docker reports its daemon's own.
 */
export function withDeclaredResources(executor: Executor, extra: { generic?: Record<string, number>; engineLabels?: Record<string, string> }): Executor {
  const generic = extra.generic ?? {};
  const labels = extra.engineLabels ?? {};
  if (Object.keys(generic).length === 0 && Object.keys(labels).length === 0) return executor;
  return {
    ...executor,
    async describe() {
      const d = await executor.describe();
      return {
        ...d,
        resources: { ...d.resources, generic: { ...d.resources.generic, ...generic } },
        engine: { ...d.engine, labels: { ...d.engine.labels, ...labels } },
      };
    },
  };
}

/** 'docker' if the engine answers a ping within `timeoutMs`, else 'process' (with a warning). */
export async function detectExecutor(
  engineAddr: string = DEFAULT_ENGINE_ADDR,
  opts: { timeoutMs?: number; logger?: Logger } = {},
): Promise<'docker' | 'process'> {
  const timeoutMs = opts.timeoutMs ?? 1000;
  const logger = opts.logger ?? pino({ name: 'agent', level: 'warn' });
  const docker = connectEngine(engineAddr, timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  try {
    const r = await Promise.race([docker.ping().then(() => 'ok' as const), timeout]);
    if (r === 'ok') return 'docker';
    logger.warn({ engineAddr }, 'docker engine did not answer in time; using the process executor');
  } catch (e) {
    logger.warn({ engineAddr, err: e }, 'docker engine unavailable; using the process executor');
  } finally {
    clearTimeout(timer);
  }
  return 'process';
}
