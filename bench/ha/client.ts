/**
 * The load generator's clients for the open loops (`--client`):
 *
 *   trpc    (default) tRPC's client and `httpLink`, as `swarmctl` uses them,
 *           over a `node:http` keep-alive agent on the control socket
 *           instead of undici's fetch
 *   wire    the same HTTP requests without the tRPC client: POST
 *           /trpc/<procedure> with the JSON input, `{"result":{"data":…}}` or
 *           `{"error":{"message":…}}` back (tRPC's wire format, no transformer)
 *   undici  the cluster's own clients (scripts/chaos-cluster.ts): tRPC over
 *           undici's fetch, as before
 *
 * Why: the load generator shares the two cores with the three managers it
 * measures. Through undici's Fetch machinery (web streams, abort signals and
 * DOMExceptions per request) it used ~2.5 ms of CPU per write, more than the
 * three managers together; that is measurement overhead, not the cluster's
 * latency. Every call is aborted after `timeoutMs`.
 */
import http from 'node:http';
import { createTRPCClient, httpLink } from '@trpc/client';
import type { AppRouter } from '../../apps/manager/src/api/root.js';

export type ClientKind = 'trpc' | 'wire' | 'undici';

/** The two writes the open loops make. */
export interface WriteClient {
  scale(ref: string, replicas: number): Promise<unknown>;
  create(spec: unknown): Promise<unknown>;
  close(): void;
}

type Reply = { status: number; text: string };

/** One HTTP request on the control socket; rejects on a transport error or after `timeoutMs`. */
function request(socketPath: string, agent: http.Agent, timeoutMs: number, o: { method: string; path: string; body?: string | undefined; headers?: Record<string, string> | undefined; signal?: AbortSignal | null | undefined }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...o.headers };
    if (o.body !== undefined) headers['content-length'] = Buffer.byteLength(o.body);
    let onAbort: (() => void) | undefined;
    const done = () => {
      clearTimeout(timer);
      if (onAbort) o.signal?.removeEventListener('abort', onAbort);
    };
    const req = http.request({ socketPath, agent, path: o.path, method: o.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () => {
        done();
        resolve({ status: res.statusCode ?? 0, text: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8') });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    function fail(e: Error) {
      done();
      reject(e);
    }
    req.on('error', fail);
    if (o.signal) o.signal.addEventListener('abort', (onAbort = () => req.destroy(new Error('aborted'))), { once: true });
    req.end(o.body);
  });
}

/**
 * Idle sockets close before the server's 5 s keep-alive timeout would (no reuse of a socket being
 * closed: EPIPE); at most 128 connections, so a backlog queues here rather than in the socket's listen queue.
 */
const newAgent = () => new http.Agent({ keepAlive: true, timeout: 3_000, maxSockets: 128 });

/** tRPC's client over node:http. */
function trpcClient(socketPath: string, timeoutMs: number): WriteClient {
  const agent = newAgent();
  const fetch = async (url: string, init: { method?: string; body?: string; headers?: Record<string, string>; signal?: AbortSignal | null } = {}) => {
    const u = new URL(url);
    const r = await request(socketPath, agent, timeoutMs, { method: init.method ?? 'GET', path: u.pathname + u.search, body: init.body, headers: init.headers, signal: init.signal });
    return { ok: r.status >= 200 && r.status < 300, status: r.status, headers: new Headers(), json: async () => JSON.parse(r.text) as unknown };
  };
  const c = createTRPCClient<AppRouter>({ links: [httpLink({ url: 'http://localhost/trpc', fetch: fetch as never })] });
  return {
    scale: (ref, replicas) => c.service.scale.mutate({ ref, replicas }),
    create: (spec) => c.service.create.mutate({ spec: spec as never }),
    close: () => agent.destroy(),
  };
}

/** tRPC's wire format by hand. */
function wireClient(socketPath: string, timeoutMs: number): WriteClient {
  const agent = newAgent();
  const mutate = async (procedure: string, input: unknown) => {
    const r = await request(socketPath, agent, timeoutMs, { method: 'POST', path: `/trpc/${procedure}`, body: JSON.stringify(input), headers: { 'content-type': 'application/json' } });
    const body = JSON.parse(r.text) as { result?: { data: unknown }; error?: { message?: string } };
    if (body.error || !body.result) throw new Error(body.error?.message ?? `HTTP ${r.status}`);
    return body.result.data;
  };
  return {
    scale: (ref, replicas) => mutate('service.scale', { ref, replicas }),
    create: (spec) => mutate('service.create', { spec }),
    close: () => agent.destroy(),
  };
}

export function writeClient(kind: ClientKind, socketPath: string, undici: { service: ReturnType<typeof createTRPCClient<AppRouter>>['service'] }, timeoutMs = 10_000): WriteClient {
  if (kind === 'trpc') return trpcClient(socketPath, timeoutMs);
  if (kind === 'wire') return wireClient(socketPath, timeoutMs);
  return {
    scale: (ref, replicas) => undici.service.scale.mutate({ ref, replicas }),
    create: (spec) => undici.service.create.mutate({ spec: spec as never }),
    close: () => {},
  };
}
