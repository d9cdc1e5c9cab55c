/**
 * Renews the node certificate at a random point between 50% and 80% of its
 * lifetime (SwarmKit's rule), over mutual TLS with the current certificate;
 * a new key each time. Connections already open keep working; new ones use
 * the new certificate (the identity provider is swapped in place).
 */
import { type Clock, type Rng, systemClock, systemRng } from '@swarm/shared';
import { createCSR, generateKeyPair, renewalDelay } from '@swarm/pki';
import type { Logger } from '../lib/log.js';
import { type MutableProvider, channelCredentials } from '../security/providers.js';
import { requestCertificate } from './ca-client.js';
import { type SecurityConfig, saveSecurityConfig, securityConfigFrom } from './certs-dir.js';

export interface Renewer {
  current(): SecurityConfig;
  renewNow(): Promise<void>;
  stop(): void;
}

export function startRenewer(opts: {
  stateDir: string;
  initial: SecurityConfig;
  /** Where the CA answers (any manager). */
  managers: () => string[];
  ca: MutableProvider;
  identity: MutableProvider;
  log: Logger;
  clock?: Clock;
  rng?: Rng;
  onRenewed?: (c: SecurityConfig) => void;
}): Renewer {
  const clock = opts.clock ?? systemClock;
  const rng = opts.rng ?? systemRng;
  let cfg = opts.initial;
  let timer: { cancel(): void } | undefined;
  let stopped = false;
  let failures = 0;

  const renew = async (): Promise<void> => {
    const key = generateKeyPair();
    const csr = await createCSR(key.privateKeyPem);
    const creds = channelCredentials(opts.ca, opts.identity);
    let lastErr = 'no manager known';
    for (const addr of opts.managers()) {
      try {
        const r = await requestCertificate(addr, creds, csr);
        const next = securityConfigFrom(cfg.rootCaPem, r.certificate, key.privateKeyPem);
        if (!next.ok) throw new Error(next.error);
        saveSecurityConfig(opts.stateDir, next.value);
        cfg = next.value;
        opts.identity.setIdentity(cfg.certPem + cfg.rootCaPem, cfg.keyPem);
        opts.log.info(`certificate renewed; valid until ${new Date(cfg.cert.notAfter).toISOString()}`);
        opts.onRenewed?.(cfg);
        return;
      } catch (e) {
        lastErr = (e as Error).message;
      }
    }
    throw new Error(lastErr);
  };

  const schedule = (delay: number) => {
    if (stopped) return;
    timer?.cancel();
    timer = clock.setTimeout(() => {
      renew()
        .then(() => {
          failures = 0;
          schedule(renewalDelay(cfg.cert, clock.now(), rng.next()));
        })
        .catch((e) => {
          failures++;
          const backoff = Math.min(3_600_000, 5_000 * 2 ** Math.min(failures, 10));
          opts.log.warn(`certificate renewal failed (${(e as Error).message}); retrying in ${Math.round(backoff / 1000)} s`);
          schedule(backoff);
        });
    }, delay);
  };
  schedule(renewalDelay(cfg.cert, clock.now(), rng.next()));

  return {
    current: () => cfg,
    renewNow: renew,
    stop() {
      stopped = true;
      timer?.cancel();
    },
  };
}
