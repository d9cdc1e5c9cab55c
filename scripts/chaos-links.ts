/**
 * The fault proxies of a chaos cluster (scripts/chaos-cluster.ts): one per
 * directed manager pair A→B, listening on 127.0.0.1 and forwarding to B's
 * remote API. Manager A is started with SWARM_TEST_PEER_ROUTES mapping B's
 * address to that proxy, so all of A's Raft and Peers traffic to B goes
 * through it (B's traffic to A through the B→A proxy).
 */
import { type FaultMode, type FaultProxy, startFaultProxy } from '../apps/manager/src/testing/fault-proxy.js';

export interface LinkSet {
  /** Env for manager `i` (index into the addresses). */
  env(i: number): Record<string, string>;
  proxy(from: number, to: number): FaultProxy;
  set(from: number, to: number, mode: FaultMode): void;
  partition(a: number[], b: number[], mode?: FaultMode): void;
  heal(): void;
  /** Links not passing, with `name(i)` for the managers. */
  describe(name: (i: number) => string): string;
  close(): Promise<void>;
}

const label = (m: FaultMode) => (m.kind === 'delay' ? `delay ${m.ms} ms` : m.kind);

/** Proxies between every ordered pair of `addresses` ("127.0.0.1:port", the managers' remote APIs). */
export async function startLinks(addresses: string[]): Promise<LinkSet> {
  const n = addresses.length;
  const proxies = new Map<string, FaultProxy>();
  const key = (from: number, to: number) => `${from}>${to}`;
  try {
    for (let from = 0; from < n; from++) {
      for (let to = 0; to < n; to++) if (from !== to) proxies.set(key(from, to), await startFaultProxy(addresses[to]!));
    }
  } catch (e) {
    await Promise.all([...proxies.values()].map((p) => p.close()));
    throw e;
  }
  const proxy = (from: number, to: number) => {
    const p = proxies.get(key(from, to));
    if (!p) throw new Error(`no link ${from}→${to}`);
    return p;
  };
  return {
    env(i) {
      const routes: Record<string, string> = {};
      for (let to = 0; to < n; to++) if (to !== i) routes[addresses[to]!] = proxy(i, to).address;
      return { SWARM_TEST_PEER_ROUTES: JSON.stringify(routes) };
    },
    proxy,
    set: (from, to, mode) => proxy(from, to).set(mode),
    partition(a, b, mode = { kind: 'blackhole' }) {
      for (const x of a) {
        for (const y of b) {
          proxy(x, y).set(mode);
          proxy(y, x).set(mode);
        }
      }
    },
    heal() {
      for (const p of proxies.values()) if (p.mode().kind !== 'pass') p.set({ kind: 'pass' });
    },
    describe(name) {
      const out: string[] = [];
      for (let from = 0; from < n; from++) {
        for (let to = 0; to < n; to++) {
          const m = from !== to ? proxy(from, to).mode() : undefined;
          if (m && m.kind !== 'pass') out.push(`${name(from)}→${name(to)} ${label(m)}`);
        }
      }
      return out.join(', ') || 'all links pass';
    },
    close: async () => void (await Promise.all([...proxies.values()].map((p) => p.close()))),
  };
}
