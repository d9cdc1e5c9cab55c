/** Harness-side API calls (plain HTTP with the test admin's session, or a bearer token): never the page's. */
import type { Cluster, Node } from '@swarm/shared';
import type { SwarmNode } from './swarmd.js';

export type ClusterInspect = Cluster & { caFingerprint?: string };

function authHeaders(swarm: SwarmNode): Record<string, string> {
  const s = swarm.session;
  return s ? { cookie: `${s.cookie.name}=${encodeURIComponent(s.cookie.value)}` } : {};
}

/** GET /trpc/<proc> as the signed-in test admin; throws with the server's message on an error. */
export async function query<T>(swarm: SwarmNode, proc: string): Promise<T> {
  const res = await fetch(`${swarm.url}/trpc/${proc}`, { headers: authHeaders(swarm), signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
  if (!res.ok || !body.result) throw new Error(`${proc}: HTTP ${res.status} ${body.error?.message ?? ''}`);
  return body.result.data;
}

export const clusterInspect = (swarm: SwarmNode) => query<ClusterInspect>(swarm, 'cluster.inspect');
export const nodeList = (swarm: SwarmNode) => query<Node[]>(swarm, 'node.list');

/** GET /trpc/node.list with `Authorization: Bearer <token>` and nothing else (no cookie): the status code. */
export async function nodeListWithToken(swarm: SwarmNode, token: string): Promise<{ status: number; nodes?: Node[] }> {
  const res = await fetch(`${swarm.url}/trpc/node.list`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
  const body = (await res.json().catch(() => ({}))) as { result?: { data: Node[] } };
  return { status: res.status, nodes: body.result?.data };
}

/** GET /trpc/<proc>?input=<json> (a query with input), as the test admin. */
export async function queryWith<T>(swarm: SwarmNode, proc: string, input: unknown): Promise<T> {
  const res = await fetch(`${swarm.url}/trpc/${proc}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: authHeaders(swarm), signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
  if (!res.ok || !body.result) throw new Error(`${proc}: HTTP ${res.status} ${body.error?.message ?? ''}`);
  return body.result.data;
}

/** POST /trpc/<proc> (a mutation), as the test admin; throws with the server's message on an error. */
export async function mutate<T>(swarm: SwarmNode, proc: string, input: unknown): Promise<T> {
  const res = await fetch(`${swarm.url}/trpc/${proc}`, {
    method: 'POST',
    headers: { ...authHeaders(swarm), 'content-type': 'application/json' },
    body: JSON.stringify(input),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
  if (!res.ok || !body.result) throw new Error(`${proc}: HTTP ${res.status} ${body.error?.message ?? ''}`);
  return body.result.data;
}

export interface JoinLine {
  token: string;
  swarmd: string;
  install?: string;
}
export interface JoinCommands {
  url?: string;
  remoteApi: string;
  caFingerprint: string;
  caCert: string;
  worker: JoinLine;
  manager: JoinLine;
}

/** `cluster.joinCommands` for a manager URL (the page passes its own origin). */
export const joinCommands = (swarm: SwarmNode, url = swarm.url) => queryWith<JoinCommands>(swarm, 'cluster.joinCommands', { url });
export const removeNode = (swarm: SwarmNode, ref: string, force = false) => mutate<unknown>(swarm, 'node.remove', { ref, force });
