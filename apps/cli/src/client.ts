/**
 * Transport: a tRPC client for the manager's API, over the control unix
 * socket (the default) or over HTTP to a remote manager (`--manager URL`).
 * Uses undici's own fetch so a unix-socket dispatcher can be passed.
 */
import { TRPCClientError, createTRPCClient, httpLink } from '@trpc/client';
import fs from 'node:fs';
import { Agent, fetch as undiciFetch } from 'undici';
import { STALE_READ_HEADER } from '@swarm/shared';
import type { AppRouter } from '@swarm/manager/api';

export const DEFAULT_SOCKET = '/var/run/swarmd.sock';

export type Target =
  | { kind: 'socket'; path: string }
  /** `url` first; `others` are tried in turn when a manager cannot be reached (a dead manager of three). */
  | { kind: 'http'; url: string; others?: string[] | undefined; token?: string | undefined; ca?: string | undefined };

export type Api = ReturnType<typeof createTRPCClient<AppRouter>>;

export interface Client {
  api: Api;
  target: Target;
  close(): Promise<void>;
}

/** `--manager URL[,URL...]`, else `-s/--socket` or `$SWARM_SOCKET`, else `$SWARM_MANAGER`, else /var/run/swarmd.sock. */
export function chooseTarget(
  opts: { socket?: string | undefined; manager?: string | undefined; token?: string | undefined; ca?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): Target {
  // --manager, then -s / $SWARM_SOCKET, then $SWARM_MANAGER, then the default socket.
  const socket = opts.socket || env.SWARM_SOCKET;
  const managers = opts.manager || (socket ? undefined : env.SWARM_MANAGER);
  if (managers) {
    const urls = managers.split(',').map((u) => u.trim().replace(/\/+$/, '')).filter(Boolean);
    const bad = urls.find((u) => !/^https?:\/\/[^/]+$/.test(u));
    if (bad !== undefined || urls.length === 0) throw new UsageError(`invalid --manager "${managers}": use http://host:port[,http://host:port...]`);
    return { kind: 'http', url: urls[0]!, others: urls.slice(1), token: opts.token || env.SWARM_TOKEN || undefined, ca: opts.ca };
  }
  return { kind: 'socket', path: socket || DEFAULT_SOCKET };
}

export function describeTarget(t: Target): string {
  return t.kind === 'socket' ? `unix://${t.path}` : [t.url, ...(t.others ?? [])].join(', ');
}

/** Header asking a manager for a local read (no ReadIndex round); see the manager's api/trpc.ts. */

export function connect(target: Target, opts: { stale?: boolean } = {}): Client {
  let ca: string | undefined;
  if (target.kind === 'http' && target.ca) {
    try {
      ca = fs.readFileSync(target.ca, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read --ca ${target.ca}: ${(e as Error).message}`);
    }
  }
  const dispatcher = new Agent({
    connect: { ...(target.kind === 'socket' ? { socketPath: target.path } : {}), ...(ca ? { ca } : {}), timeout: 10_000 },
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  });
  const base = target.kind === 'socket' ? 'http://localhost/trpc' : `${target.url}/trpc`;
  const once = (url: string, init?: Record<string, unknown>) => undiciFetch(url, { ...(init ?? {}), dispatcher } as Parameters<typeof undiciFetch>[1]);
  // Several managers: a request that could not even connect is safe to send to the next one.
  const bases = target.kind === 'http' ? [target.url, ...(target.others ?? [])] : [];
  const fetch = async (url: string, init?: Record<string, unknown>) => {
    for (let i = 0; ; i++) {
      try {
        return await once(i === 0 ? url : bases[i]! + url.slice(bases[0]!.length), init);
      } catch (e) {
        if (i + 1 >= bases.length || !notConnected(e)) throw e;
      }
    }
  };
  const token = target.kind === 'http' ? target.token : undefined;
  const headers = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(opts.stale ? { [STALE_READ_HEADER]: '1' } : {}) };
  const api = createTRPCClient<AppRouter>({ links: [httpLink({ url: base, fetch: fetch as never, headers })] });
  return { api, target, close: () => dispatcher.close() };
}

const CONNECT_ERRORS = /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|UND_ERR_CONNECT_TIMEOUT|UND_ERR_SOCKET)$/;

/** True when the request failed before reaching a server (nothing was applied). */
function notConnected(e: unknown): boolean {
  let c: unknown = e;
  for (let depth = 0; c && depth < 5; depth++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECT_ERRORS.test(code)) return code !== 'ECONNRESET' && code !== 'UND_ERR_SOCKET';
    c = (c as { cause?: unknown }).cause;
  }
  return false;
}

/** An error in how the CLI was used (bad flag values, missing arguments). */
export class UsageError extends Error {}

/** What to print after "Error: " for anything a command threw. */
export function errorMessage(e: unknown, target?: Target): string {
  if (e instanceof TRPCClientError) {
    const cause = connectionCause(e);
    if (cause) return connectionMessage(cause, target);
    return e.message;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

interface NetCause {
  code?: string;
  message: string;
}

/** The network error behind a failed fetch, if that is what happened. */
function connectionCause(e: TRPCClientError<never>): NetCause | undefined {
  if (e.data !== undefined && e.data !== null) return undefined; // the server answered
  let c: unknown = e.cause;
  let deepest = e.message;
  for (let depth = 0; c && depth < 5; depth++) {
    const x = c as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof x.code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(x.code)) return { code: x.code, message: String(x.message ?? '') };
    if (typeof x.message === 'string' && x.message) deepest = x.message;
    c = x.cause;
  }
  return e.message === 'fetch failed' ? { message: deepest } : undefined;
}

function connectionMessage(c: NetCause, target?: Target): string {
  const where = target ? describeTarget(target) : 'the manager';
  const hint = target?.kind === 'socket' ? ' (is swarmd running? choose the socket with -s or SWARM_SOCKET)' : '';
  switch (c.code) {
    case 'ENOENT':
      return `cannot connect to the manager at ${where}: no such socket${hint}`;
    case 'ECONNREFUSED':
      return `cannot connect to the manager at ${where}: connection refused${hint}`;
    case 'EACCES':
    case 'EPERM':
      return `cannot connect to the manager at ${where}: permission denied (the control socket is mode 0600; run as its owner)`;
    default:
      return `cannot connect to the manager at ${where}: ${c.code ? `${c.code} ` : ''}${c.message}`.trim();
  }
}
