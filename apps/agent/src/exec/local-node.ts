/** Node facts from the OS, for executors without an engine. */
import { arch, cpus, hostname, totalmem } from 'node:os';
import type { NodeDescription } from '@swarm/shared';

const ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i386', arm: 'armv7l' };

export function localDescription(executor: string): NodeDescription {
  return {
    hostname: hostname(),
    platform: { os: 'linux', architecture: ARCH[arch()] ?? arch() },
    resources: { nanoCpus: cpus().length * 1e9, memoryBytes: totalmem(), generic: {} },
    engine: { engineVersion: `${executor}-executor node ${process.version}`, labels: {}, plugins: [] },
    executor,
  };
}
