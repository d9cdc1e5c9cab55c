import 'reflect-metadata';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Cluster } from '@swarm/shared';
import { caDigest, constantTimeEqual, parseToken } from '@swarm/pki';
import { ensureCluster } from '../bootstrap.js';
import { type Store, createStore } from '../store/store.js';
import { updateCluster } from './cluster.js';

const HOUR = 3_600_000;
const limits = { minCertExpiryMs: HOUR };

let store: Store;
let initial: Cluster;

const current = (): Cluster => {
  const c = store.view((tx) => tx.list('clusters')[0]);
  if (!c) throw new Error('no cluster');
  return c;
};

const parts = (token: string) => {
  const p = parseToken(token);
  if (!p.ok) throw new Error(p.error);
  return p.value;
};

beforeEach(async () => {
  store = createStore();
  const r = await ensureCluster(store);
  if (!r.ok) throw new Error(r.error);
  initial = current();
});

describe('updateCluster: join token rotation', () => {
  it.each(['worker', 'manager'] as const)('rotating the %s token changes only its secret and keeps the CA digest', async (role) => {
    const other = role === 'worker' ? 'manager' : 'worker';
    const before = initial.rootCa!;
    const version = store.version();

    const r = await updateCluster(store, { rotateJoinToken: role }, limits);
    expect(r.ok).toBe(true);
    const after = current();
    if (r.ok) expect(r.value).toEqual(after);
    expect(store.version()).toBe(version + 1);

    const oldT = parts(before.joinTokens[role]);
    const newT = parts(after.rootCa!.joinTokens[role]);
    expect(after.rootCa!.joinTokens[role]).toMatch(/^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
    expect(newT.secret).not.toBe(oldT.secret);
    expect(newT.digest).toBe(oldT.digest);
    expect(newT.digest).toBe(caDigest(before.caCert));
    expect(newT.digest).toBe(after.rootCa!.caCertHash);
    // The old token no longer matches the current one (what the CA compares against).
    expect(constantTimeEqual(before.joinTokens[role], after.rootCa!.joinTokens[role])).toBe(false);

    // Everything else is untouched.
    expect(after.rootCa!.joinTokens[other]).toBe(before.joinTokens[other]);
    expect(after.rootCa!.caCert).toBe(before.caCert);
    expect(after.rootCa!.caKey).toBe(before.caKey);
    expect(after.rootCa!.caCertHash).toBe(before.caCertHash);
    expect(after.spec).toEqual(initial.spec);
    expect(after.id).toBe(initial.id);
  });

  it('each rotation yields a fresh secret', async () => {
    const seen = new Set([parts(initial.rootCa!.joinTokens.worker).secret]);
    for (let i = 0; i < 5; i++) {
      expect((await updateCluster(store, { rotateJoinToken: 'worker' }, limits)).ok).toBe(true);
      seen.add(parts(current().rootCa!.joinTokens.worker).secret);
    }
    expect(seen.size).toBe(6);
    expect(current().rootCa!.joinTokens.manager).toBe(initial.rootCa!.joinTokens.manager);
  });

  it('without a rotation request the tokens stay', async () => {
    const r = await updateCluster(store, { heartbeatPeriodMs: 7000 }, limits);
    expect(r.ok).toBe(true);
    expect(current().rootCa!.joinTokens).toEqual(initial.rootCa!.joinTokens);
    expect(current().spec.dispatcher.heartbeatPeriodMs).toBe(7000);
  });
});

describe('updateCluster: settings', () => {
  it('refuses a certificate expiry below the minimum with "minimum certificate expiry time is: 1h0m0s" and writes nothing', async () => {
    const version = store.version();
    for (const ms of [HOUR - 1, 30 * 60_000, 1]) {
      const r = await updateCluster(store, { nodeCertExpiryMs: ms, rotateJoinToken: 'worker', heartbeatPeriodMs: 9000 }, limits);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('BAD_REQUEST');
        expect(r.error.message).toContain('minimum certificate expiry time is: 1h0m0s');
      }
    }
    expect(store.version()).toBe(version);
    expect(current()).toEqual(initial);
  });

  it('formats other minimums like Go durations too', async () => {
    const r = await updateCluster(store, { nodeCertExpiryMs: 1000 }, { minCertExpiryMs: 90 * 60_000 });
    expect(!r.ok && r.error.message).toContain('minimum certificate expiry time is: 1h30m0s');
    const r2 = await updateCluster(store, { nodeCertExpiryMs: 1000 }, { minCertExpiryMs: 2160 * HOUR });
    expect(!r2.ok && r2.error.message).toContain('minimum certificate expiry time is: 2160h0m0s');
  });

  it('accepts exactly the minimum and longer values, keeping the rest of the spec', async () => {
    expect((await updateCluster(store, { nodeCertExpiryMs: HOUR }, limits)).ok).toBe(true);
    expect(current().spec.caConfig.nodeCertExpiryMs).toBe(HOUR);
    expect((await updateCluster(store, { nodeCertExpiryMs: 48 * HOUR }, limits)).ok).toBe(true);
    const c = current();
    expect(c.spec.caConfig.nodeCertExpiryMs).toBe(48 * HOUR);
    expect(c.spec.dispatcher).toEqual(initial.spec.dispatcher);
    expect(c.spec.orchestration).toEqual(initial.spec.orchestration);
    expect(c.spec.raft).toEqual(initial.spec.raft);
    expect(c.spec.annotations).toEqual(initial.spec.annotations);
    expect(c.rootCa).toEqual(initial.rootCa);
  });

  it('updates heartbeat period and task history retention', async () => {
    const r = await updateCluster(store, { heartbeatPeriodMs: 2500, taskHistoryRetentionLimit: 0 }, limits);
    expect(r.ok).toBe(true);
    const c = current();
    expect(c.spec.dispatcher.heartbeatPeriodMs).toBe(2500);
    expect(c.spec.orchestration.taskHistoryRetentionLimit).toBe(0);
    expect(c.spec.caConfig).toEqual(initial.spec.caConfig);
  });

  it('NOT_FOUND when there is no cluster', async () => {
    const empty = createStore();
    const r = await updateCluster(empty, { rotateJoinToken: 'worker' }, limits);
    expect(r).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'cluster default not found' } });
    expect(empty.version()).toBe(0);
  });
});
