/** The docker executor: one engine connection and one event stream for all of a node's tasks. */
import type { DefaultNetwork } from './spec.js';
import { hostname as osHostname } from 'node:os';
import type { Logger } from 'pino';
import { LABEL, type NodeDescription, type Task } from '@swarm/shared';
import type { Executor } from '../executor.js';
import { localDescription } from '../local-node.js';
import { createContainerIndex } from './container-index.js';
import { createDockerController } from './controller.js';
import { DEFAULT_ENGINE_ADDR, connectEngine } from './engine.js';
import { createEventHub } from './events.js';
import { createEngineQuiet } from './quiet.js';

export interface DockerExecutorOptions {
  /** `unix:///var/run/docker.sock` (default) or `tcp://host:port`. */
  engineAddr?: string;
  /** Added to every container, e.g. `{ 'com.swarm.test-run': runId }`. */
  extraLabels?: Record<string, string>;
  /** Network for containers that publish no host ports (default `none`). */
  network?: DefaultNetwork;
  logger?: Logger;
}

export function createDockerExecutor(opts: DockerExecutorOptions = {}): Executor {
  const engineAddr = opts.engineAddr ?? DEFAULT_ENGINE_ADDR;
  const extraLabels = opts.extraLabels ?? {};
  const docker = connectEngine(engineAddr);
  const labelFilter = [`${LABEL.managed}=true`, ...Object.entries(extraLabels).map(([k, v]) => `${k}=${v}`)];
  const events = createEventHub(docker, labelFilter, engineAddr, opts.logger);
  const index = createContainerIndex(docker, labelFilter);
  const quiet = createEngineQuiet();
  const deps = { docker, events, index, quiet, engineAddr, extraLabels, network: opts.network ?? 'none', engine: {} as { lastOk?: number }, ...(opts.logger ? { logger: opts.logger } : {}) };

  return {
    name: 'docker',
    controller: (task: Task) => createDockerController(task, deps),
    async describe(): Promise<NodeDescription> {
      try {
        return await describeEngine();
      } catch (e) {
        // The agent must still register (and report its tasks' failures) while the engine is down.
        opts.logger?.warn({ err: e, engineAddr }, 'cannot describe the docker engine; reporting OS facts');
        return { ...localDescription('docker'), engine: { engineVersion: '', labels: {}, plugins: [] } };
      }
    },
    async close() {
      events.close();
    },
  };

  async function describeEngine(): Promise<NodeDescription> {
    const [info, images] = await Promise.all([docker.info() as Promise<DockerInfo>, docker.listImages()]);
    return {
      hostname: info.Name || osHostname(),
      platform: { os: info.OSType || 'linux', architecture: info.Architecture || 'unknown' },
      resources: { nanoCpus: (info.NCPU ?? 0) * 1e9, memoryBytes: info.MemTotal ?? 0, generic: {} },
      engine: {
        engineVersion: info.ServerVersion ?? '',
        labels: parseLabels(info.Labels ?? []),
        plugins: plugins(info.Plugins ?? {}),
        images: images.flatMap((i) => (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>')).sort(),
      },
      executor: 'docker',
    };
  }
}

interface DockerInfo {
  Name?: string;
  OSType?: string;
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  ServerVersion?: string;
  Labels?: string[];
  Plugins?: Record<string, string[] | null>;
}

export function parseLabels(labels: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) {
    const i = l.indexOf('=');
    if (i > 0) out[l.slice(0, i)] = l.slice(i + 1);
  }
  return out;
}

/** Volume, Network (always with overlay) and Authorization plugins, as SwarmKit reports them. */
function plugins(p: Record<string, string[] | null>): Array<{ type: string; name: string }> {
  const out: Array<{ type: string; name: string }> = [];
  const add = (type: string, names: string[]) => {
    for (const name of names) if (!out.some((x) => x.type === type && x.name === name)) out.push({ type, name });
  };
  add('Volume', p['Volume'] ?? []);
  add('Network', [...(p['Network'] ?? []), 'overlay']);
  add('Authorization', p['Authorization'] ?? []);
  return out;
}
