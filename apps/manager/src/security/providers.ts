/**
 * Certificate providers for grpc-js whose contents can change while servers
 * and channels run: a renewed node certificate or a rotated join token takes
 * effect for new connections without restarting anything.
 */
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';

type CertificateProvider = grpc.experimental.CertificateProvider;
type CaCertificateUpdateListener = grpc.experimental.CaCertificateUpdateListener;
type IdentityCertificateUpdateListener = grpc.experimental.IdentityCertificateUpdateListener;

export interface MutableProvider extends CertificateProvider {
  setCa(pems: string[]): void;
  setIdentity(certPem: string, keyPem: string): void;
}

export function createProvider(init: { ca?: string[]; identity?: { certPem: string; keyPem: string } }): MutableProvider {
  let ca = init.ca ? Buffer.from(init.ca.join('')) : undefined;
  let identity = init.identity ? { certificate: Buffer.from(init.identity.certPem), privateKey: Buffer.from(init.identity.keyPem) } : undefined;
  const caL = new Set<CaCertificateUpdateListener>();
  const idL = new Set<IdentityCertificateUpdateListener>();
  return {
    addCaCertificateListener(l) {
      caL.add(l);
      // Deferred: grpc-js's server credentials read the identity while handling a CA
      // update, so the identity (delivered synchronously below) must arrive first.
      queueMicrotask(() => caL.has(l) && l(ca ? { caCertificate: ca } : null));
    },
    removeCaCertificateListener: (l) => void caL.delete(l),
    addIdentityCertificateListener(l) {
      idL.add(l);
      l(identity ?? null);
    },
    removeIdentityCertificateListener: (l) => void idL.delete(l),
    setCa(pems) {
      ca = Buffer.from(pems.join(''));
      for (const l of caL) l({ caCertificate: ca });
    },
    setIdentity(certPem, keyPem) {
      identity = { certificate: Buffer.from(certPem), privateKey: Buffer.from(keyPem) };
      for (const l of idL) l(identity);
    },
  };
}

/** Server side: every client must present a certificate that chains to a trusted CA. */
export function serverCredentials(identity: MutableProvider, ca: MutableProvider): grpc.ServerCredentials {
  // grpc-js names these arguments (ca, identity) but passes them on as (identity, ca).
  return grpc.experimental.createCertificateProviderServerCredentials(identity, ca, true) as unknown as grpc.ServerCredentials;
}

/** The name every manager certificate carries; clients check it instead of the dialled address. */
export const MANAGER_SAN = 'swarm-manager';

export function channelCredentials(ca: MutableProvider, identity: MutableProvider): grpc.ChannelCredentials {
  return reuseSecureContext(
    grpc.experimental.createCertificateProviderChannelCredentials(ca, identity, {
      checkServerIdentity: (_host, cert) => tls.checkServerIdentity(MANAGER_SAN, cert),
    }),
  );
}

/** The parts of grpc-js 1.14's certificate-provider channel credentials that `reuseSecureContext` touches. */
interface ProviderCredentialsInternals {
  latestCaUpdate?: unknown;
  latestIdentityUpdate?: unknown;
  getLatestSecureContext(): tls.SecureContext | null;
}

/**
 * grpc-js builds a new TLS secure context (parsing the key, the certificate
 * chain and the CA bundle: about a millisecond) twice for every connection
 * attempt, once while waiting for the providers and again to connect. Build
 * it once per certificate update instead: a channel reconnecting, or a
 * thousand agents reconnecting at once, then pays only for the handshake.
 * A renewed certificate or CA (new update objects) still takes effect for the
 * next connection. If grpc-js's internals differ, the credentials are left as they are.
 */
export function reuseSecureContext(creds: grpc.ChannelCredentials): grpc.ChannelCredentials {
  const c = creds as unknown as ProviderCredentialsInternals;
  if (typeof c.getLatestSecureContext !== 'function' || !('latestCaUpdate' in c) || !('latestIdentityUpdate' in c)) return creds;
  const build = c.getLatestSecureContext.bind(c);
  let last: { ca: unknown; identity: unknown; context: tls.SecureContext } | undefined;
  c.getLatestSecureContext = () => {
    if (last && last.ca === c.latestCaUpdate && last.identity === c.latestIdentityUpdate) return last.context;
    const context = build();
    last = context ? { ca: c.latestCaUpdate, identity: c.latestIdentityUpdate, context } : undefined;
    return context;
  };
  return creds;
}
