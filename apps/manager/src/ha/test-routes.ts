/**
 * TEST-ONLY hook: `SWARM_TEST_PEER_ROUTES` makes this manager dial other
 * managers somewhere else than their advertised address, for chaos runs that
 * put a fault-injecting proxy on every manager-to-manager path
 * (scripts/chaos-cluster.ts, src/testing/fault-proxy.ts). It is a JSON map
 *   {"127.0.0.1:41001": "127.0.0.1:52001", ...}   (advertised → dial)
 * and applies to the Raft transport and the Peers (Propose/Join) clients
 * only; TLS is end to end, so a route can delay or cut traffic but not read
 * or change it. Never set it in production: a wrong route partitions the
 * manager. When set, swarmd says so loudly at startup.
 */
import { z } from 'zod';
import { type Result, err, formatZodError, ok } from '@swarm/shared';

export const PEER_ROUTES_ENV = 'SWARM_TEST_PEER_ROUTES';

const HostPort = z.string().regex(/^(?:[^\s:[\]]+|\[[0-9a-fA-F:]+\]):\d{1,5}$/, 'host:port');
const Routes = z.record(HostPort, HostPort);

/** Maps an advertised manager address to the one to dial. */
export type DialAddress = (address: string) => string;

/** Parses the env value; undefined when it is unset or empty. */
export function parsePeerRoutes(value: string | undefined): Result<Record<string, string> | undefined, string> {
  if (value === undefined || value.trim() === '') return ok(undefined);
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch (e) {
    return err(`${PEER_ROUTES_ENV} is not JSON: ${(e as Error).message}`);
  }
  const r = Routes.safeParse(raw);
  return r.success ? ok(r.data) : err(`${PEER_ROUTES_ENV} must map "host:port" to "host:port": ${formatZodError(r.error)}`);
}

/**
 * The dial mapping from the environment, or undefined when unset. Throws on an
 * invalid value (a typo must not silently leave the test unpartitioned).
 */
export function peerRoutesFromEnv(warn: (msg: string) => void, env: NodeJS.ProcessEnv = process.env): DialAddress | undefined {
  const r = parsePeerRoutes(env[PEER_ROUTES_ENV]);
  if (!r.ok) throw new Error(r.error);
  const routes = r.value;
  if (!routes) return undefined;
  const list = Object.entries(routes).map(([from, to]) => `${from} → ${to}`).join(', ');
  warn(`!!! TEST HOOK ${PEER_ROUTES_ENV} IS SET: manager-to-manager traffic is rerouted (${list}). Never use this outside tests. !!!`);
  return (address) => routes[address] ?? address;
}
