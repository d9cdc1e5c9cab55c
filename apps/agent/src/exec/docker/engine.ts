/** Engine connection and error helpers shared by the docker executor's parts. */
import Docker from 'dockerode';
import { err, ok, type Result } from '@swarm/shared';
import type { Observed } from '../executor.js';

export const DEFAULT_ENGINE_ADDR = 'unix:///var/run/docker.sock';

/** `unix:///path`, `/path`, `tcp://host:port` or `http://host:port` → dockerode. */
export function connectEngine(engineAddr: string = DEFAULT_ENGINE_ADDR, timeoutMs?: number): Docker {
  const timeout = timeoutMs !== undefined ? { timeout: timeoutMs } : {};
  if (engineAddr.startsWith('unix://')) return new Docker({ socketPath: engineAddr.slice('unix://'.length), ...timeout });
  if (engineAddr.startsWith('/')) return new Docker({ socketPath: engineAddr, ...timeout });
  const url = new URL(engineAddr.replace(/^tcp:/, 'http:'));
  return new Docker({ protocol: 'http', host: url.hostname, port: Number(url.port || 2375), ...timeout });
}

interface DockerError {
  statusCode?: number;
  json?: { message?: string } | string | null;
  reason?: string;
  message?: string;
  code?: string;
}

/** The engine's own message ("No such image: x") when there is one. */
export function dockerMessage(e: unknown, engineAddr = DEFAULT_ENGINE_ADDR): string {
  const d = (e ?? {}) as DockerError;
  if (isConnectionError(e)) return `Cannot connect to the Docker daemon at ${engineAddr}: ${d.message ?? String(e)}`;
  if (d.json && typeof d.json === 'object' && typeof d.json.message === 'string') return d.json.message;
  if (typeof d.json === 'string' && d.json) return d.json.trim();
  return d.message ?? String(e);
}

export const statusCode = (e: unknown): number | undefined => (e as DockerError | null)?.statusCode;

export function isConnectionError(e: unknown): boolean {
  const code = (e as DockerError | null)?.code;
  return code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'EACCES';
}

/** `docker pull`, waiting for the whole progress stream (its last error, if any, is the failure). */
export async function pull(docker: Docker, image: string): Promise<Result<void, string>> {
  try {
    const stream = await docker.pull(image);
    return await new Promise((resolve) => {
      docker.modem.followProgress(stream, (e: Error | null, output: Array<{ error?: string }>) => {
        const streamErr = output?.find((o) => o.error)?.error;
        resolve(e || streamErr ? err(String(e?.message ?? streamErr)) : ok(undefined));
      });
    });
  } catch (e) {
    return err(dockerMessage(e));
  }
}

/** What an inspect (or its absence) says about a task's container. */
export function observedOf(c: Docker.ContainerInspectInfo | undefined): Observed {
  if (!c) return { kind: 'absent' };
  const info = { containerId: c.Id, pid: c.State.Pid };
  if (c.State.Running) return { kind: 'running', info };
  if (c.State.Status === 'created') return { kind: 'created', info };
  return { kind: 'exited', info: { ...info, exitCode: c.State.ExitCode } };
}
