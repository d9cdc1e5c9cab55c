/**
 * The join command the Join page offers, in SwarmKit's README form:
 *   swarmd -d <state-dir> --hostname <name> --join-addr <manager> --join-token <token>
 */
import type { Node } from '@swarm/shared';

export const DEFAULT_STATE_DIR = '/var/lib/swarmd';

/** The remote API address new nodes dial: the leader's (else any manager's) `managerStatus.addr`. */
export function joinAddress(nodes: Iterable<Node>): string | undefined {
  let any: string | undefined;
  for (const n of nodes) {
    const addr = n.managerStatus?.addr;
    if (!addr) continue;
    if (n.managerStatus?.leader) return addr;
    any ??= addr;
  }
  return any;
}

/** True when the address only works from this machine, or not at all for a remote node. */
export function isLocalOnly(addr: string): boolean {
  const host = addr.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === '0.0.0.0' || host === '::' || host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Quotes a word for a POSIX shell only when it needs it. */
function shellWord(w: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

export interface JoinCommandInput {
  addr: string;
  token: string;
  hostname?: string | undefined;
  stateDir?: string | undefined;
}

export function joinArgs({ addr, token, hostname, stateDir }: JoinCommandInput): string[] {
  const name = hostname?.trim();
  return ['-d', stateDir?.trim() || DEFAULT_STATE_DIR, ...(name ? ['--hostname', name] : []), '--join-addr', addr, '--join-token', token];
}

/** `extra`: flags appended as they are (e.g. a manager's `--listen-remote-api`). */
export function joinCommand(input: JoinCommandInput, extra: readonly string[] = []): string {
  return ['swarmd', ...joinArgs(input), ...extra].map(shellWord).join(' ');
}

/**
 * The installer one-liner from `cluster.joinCommands` (`curl … | sh -s - --join-token …`),
 * with the page's optional fields appended as installer flags: `--hostname`, and
 * `--state-dir` when it is not the default. Unchanged when both are left as is.
 */
export function installCommand(
  line: string,
  { hostname, stateDir }: { hostname?: string | undefined; stateDir?: string | undefined },
  more: readonly string[] = [],
): string {
  const name = hostname?.trim();
  const dir = stateDir?.trim();
  const extra = [...(name ? ['--hostname', name] : []), ...(dir && dir !== DEFAULT_STATE_DIR ? ['--state-dir', dir] : []), ...more];
  return extra.length ? `${line} ${extra.map(shellWord).join(' ')}` : line;
}
