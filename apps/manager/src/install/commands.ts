/**
 * The lines an operator pastes to add a machine: `swarmd --join-addr ...` and
 * the installer one-liner (`curl -fsSL <manager>/install.sh | sh -s - ...`).
 * Built here once, for the HTTP installer routes, the API (cluster.joinCommands,
 * shown on the dashboard's Join page) and swarmctl.
 *
 * Over https the first download (install.sh itself) must be verified too. When
 * the dashboard's certificate comes from the cluster CA, the line writes the CA
 * (public; it is pinned again by the token's digest inside the script) to a
 * file first and hands it to curl (--cacert) and to the script (--ca-file):
 * never `-k`, never trust on first use. With an operator-supplied certificate
 * (public CA) plain curl verifies it.
 */
import crypto from 'node:crypto';
import type { Store } from '../store/store.js';

export interface Advertised {
  /** Base URL of the manager's HTTP listener, e.g. http://127.0.0.1:4280 */
  url: string;
  /** The listener's certificate is issued by the cluster CA (clients need --cacert). */
  clusterCaTls: boolean;
}

/** The HTTP listener of the manager that owns a store (set by the API server once listening). */
const advertised = new WeakMap<Store, Advertised>();
export const advertise = (store: Store, a: Advertised): void => void advertised.set(store, a);
export const advertisedOf = (store: Store): Advertised | undefined => advertised.get(store);

export interface JoinLine {
  token: string;
  /** Run swarmd directly (the bundle or a checkout). */
  swarmd: string;
  /** The installer one-liner; absent when this manager serves no HTTP. */
  install?: string | undefined;
}

export interface JoinCommands {
  /** The manager URL the install lines use (absent without an HTTP listener). */
  url?: string | undefined;
  /** host:port of the remote API (gRPC, mutual TLS) nodes join. */
  remoteApi: string;
  /** sha256:<hex> of the root CA certificate (DER), for eyeballing. */
  caFingerprint: string;
  /** The root CA certificate (PEM). Public. */
  caCert: string;
  worker: JoinLine;
  manager: JoinLine;
}

const isWildcard = (h: string) => h === '' || h === '0.0.0.0' || h === '::' || h === '[::]';

/** Splits "host:port" / "[v6]:port". */
export function splitHostPort(s: string): { host: string; port: string } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(s);
  return { host: m?.[1] ?? s, port: m?.[2] ?? '' };
}

/**
 * The remote API address to give joining nodes: the manager's bound address,
 * with a wildcard host replaced by the host the client reached us at.
 */
export function joinAddrFor(remoteApiAddr: string, requestHost: string | undefined): string {
  const { host, port } = splitHostPort(remoteApiAddr);
  if (!isWildcard(host) || !requestHost) return remoteApiAddr;
  return `${splitHostPort(requestHost).host}:${port}`;
}

/** This manager's remote API address as recorded in the store. */
export function remoteApiOf(store: Store, nodeId: string): string | undefined {
  return store.view((tx) => tx.get('nodes', nodeId))?.managerStatus?.addr;
}

/** A value safe to paste unquoted into sh (what URLs, addresses and tokens are). */
const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./\[\]-]+$/;
export const shellSafe = (s: string): boolean => SHELL_SAFE.test(s);

/** Single-quotes a value for sh. */
export const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export const caFileCommand = (caPem: string, file = 'swarm-ca.crt'): string => {
  const lines = caPem.trim().split(/\r?\n/);
  return `printf '%s\\n' ${lines.map(shq).join(' ')} > ${file}`;
};

export function installLine(a: Advertised, caPem: string, token: string, role: 'worker' | 'manager'): string {
  const url = a.url.replace(/\/+$/, '');
  const https = url.startsWith('https://');
  const pin = https && a.clusterCaTls;
  const args = [...(pin ? ['--ca-file', 'swarm-ca.crt'] : []), '--join-token', token, ...(role === 'manager' ? ['--manager'] : [])].join(' ');
  const fetch = `curl -fsSL ${pin ? '--cacert swarm-ca.crt ' : ''}${url}/install.sh | sh -s - ${args}`;
  return pin ? `${caFileCommand(caPem)} && ${fetch}` : fetch;
}

export function joinCommands(params: {
  caCert: string;
  tokens: { worker: string; manager: string };
  remoteApi: string;
  advertised?: Advertised | undefined;
}): JoinCommands {
  const { caCert, tokens, remoteApi, advertised: a } = params;
  const fp = `sha256:${crypto.createHash('sha256').update(new crypto.X509Certificate(caCert).raw).digest('hex')}`;
  const line = (role: 'worker' | 'manager'): JoinLine => ({
    token: tokens[role],
    swarmd: `swarmd --join-addr ${remoteApi} --join-token ${tokens[role]}`,
    ...(a ? { install: installLine(a, caCert, tokens[role], role) } : {}),
  });
  return { ...(a ? { url: a.url.replace(/\/+$/, '') } : {}), remoteApi, caFingerprint: fp, caCert, worker: line('worker'), manager: line('manager') };
}

/** Whether a (chain) PEM's first certificate is issued by the CA. */
export function issuedBy(chainPem: string, caPem: string): boolean {
  try {
    const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(chainPem)?.[0];
    if (!first) return false;
    const ca = new crypto.X509Certificate(caPem);
    const leaf = new crypto.X509Certificate(first);
    return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
  } catch {
    return false;
  }
}
