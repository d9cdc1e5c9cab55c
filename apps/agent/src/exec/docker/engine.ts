/** Engine connection and error helpers shared by the docker executor's parts. */
import Docker from 'dockerode';

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
