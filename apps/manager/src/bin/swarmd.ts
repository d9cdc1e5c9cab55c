#!/usr/bin/env node
/**
 * swarmd: the node daemon. A manager node runs the manager (store, CA,
 * control loops, dispatcher, API, dashboard) and an agent that talks to it
 * over gRPC with mutual TLS like any remote agent; a worker node runs only the
 * agent. Ctrl-C stops it cleanly; state (store, certificates, tasks) survives
 * in --state-dir.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Agent, type Executor, createDockerExecutor, createProcessExecutor, createSimExecutor, detectExecutor, startAgent, withDeclaredResources } from '@swarm/agent';
import { createLogger, type Logger } from '../lib/log.js';
import { type Manager, startManager } from '../manager.js';
import { type SecurityConfig, loadManagers, loadSecurityConfig, saveManagers, saveSecurityConfig } from '../node/certs-dir.js';
import { checkJoin } from '../install/check-join.js';
import { joinCluster } from '../node/join.js';
import { startRenewer } from '../node/renewer.js';
import { watchRole } from './role-switch.js';
import { MANAGER_SAN, type MutableProvider, channelCredentials, createProvider } from '../security/providers.js';
import { loadOrCreateNodeId } from './node-identity.js';
import { type SwarmdOptions, isLoopback, parseSwarmdArgs } from './options.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const defaultWebDir = path.resolve(here, '../../../web/out');

class Fatal extends Error {}

async function makeExecutor(o: SwarmdOptions, log: Logger): Promise<Executor> {
  let kind = o.executor;
  if (kind === 'auto') {
    kind = await detectExecutor(o.engineAddr, { logger: log });
    if (kind === 'process') log.warn(`no Docker engine answers at ${o.engineAddr}; running tasks as local processes (--executor process)`);
  }
  const testRun = process.env['SWARM_TEST_RUN_LABEL'];
  const extraLabels = testRun ? { 'com.swarm.test-run': testRun } : undefined;
  switch (kind) {
    case 'docker':
      return createDockerExecutor({ engineAddr: o.engineAddr, logger: log, network: o.containerNetwork, ...(extraLabels ? { extraLabels } : {}) });
    case 'process':
      return createProcessExecutor({ logger: log });
    case 'sim':
      return createSimExecutor();
  }
}

/** HTTPS for the dashboard: required off loopback, unless --insecure-http says otherwise. */
function httpTls(o: SwarmdOptions, log: Logger): { certPem: string; keyPem: string } | 'cluster-ca' | undefined {
  if (o.httpTlsCert && o.httpTlsKey) {
    try {
      return { certPem: fs.readFileSync(o.httpTlsCert, 'utf8'), keyPem: fs.readFileSync(o.httpTlsKey, 'utf8') };
    } catch (e) {
      throw new Fatal(`cannot read the dashboard certificate: ${(e as Error).message}`);
    }
  }
  if (!o.listenHttp || isLoopback(o.listenHttp.host)) return undefined;
  if (o.insecureHttp) {
    log.warn(`--insecure-http: the dashboard on ${o.listenHttp.host} is served without TLS`);
    return undefined;
  }
  log.info(`--listen-http is not on loopback: serving HTTPS with a certificate from the cluster CA (give --http-tls-cert/--http-tls-key to use your own)`);
  return 'cluster-ca';
}

/** Certificates from disk, or from joining, or none yet (a new cluster's first manager). */
async function security(o: SwarmdOptions, log: Logger): Promise<SecurityConfig | undefined> {
  const loaded = loadSecurityConfig(o.stateDir);
  if (!loaded.ok) throw new Fatal(loaded.error);
  if (loaded.value) {
    if (o.joinToken) log.info('already joined (certificates in the state dir); ignoring --join-token');
    return loaded.value;
  }
  if (!o.joinAddr) return undefined;
  if (!o.joinToken) throw new Fatal('--join-token is required with --join-addr');
  const joined = await joinCluster({
    addr: o.joinAddr,
    token: o.joinToken,
    ...(o.availability ? { availability: o.availability } : {}),
    ...(o.nodeLabels ? { labels: o.nodeLabels } : {}),
  });
  if (!joined.ok) throw new Fatal(joined.error);
  saveSecurityConfig(o.stateDir, joined.value);
  saveManagers(o.stateDir, [o.joinAddr]);
  log.info(`joined cluster ${joined.value.clusterId} as ${joined.value.role} ${joined.value.nodeId}`);
  return joined.value;
}

async function main(): Promise<void> {
  let o: SwarmdOptions;
  try {
    o = parseSwarmdArgs(process.argv.slice(2));
  } catch (e) {
    const err = e as { code?: string; message: string };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
    if (!err.code?.startsWith('commander.')) console.error(`swarmd: ${err.message}`);
    process.exit(2);
  }
  if (o.checkJoin) {
    if (!o.joinAddr || !o.joinToken) throw new Fatal('--check-join needs --join-addr and --join-token');
    const r = await checkJoin(o.joinAddr, o.joinToken);
    if (!r.ok) throw new Fatal(r.error);
    process.stdout.write(`${r.value}\n`);
    process.exit(0);
  }
  const log = createLogger(o.logLevel);
  fs.mkdirSync(o.stateDir, { recursive: true, mode: 0o700 });
  const sec0 = await security(o, log);
  const base = await makeExecutor(o, log.child({ component: 'executor' }));
  if (base.name === 'docker' && Object.keys(o.engineLabel).length > 0) log.warn('--engine-label is ignored with the docker executor: the daemon reports its own labels');
  const executor = withDeclaredResources(base, { generic: o.genericNodeResources, ...(base.name === 'docker' ? {} : { engineLabels: o.engineLabel }) });
  const hostname = o.hostname ?? (await executor.describe()).hostname;

  const startManagerPart = (security: SecurityConfig | undefined, identity?: MutableProvider) =>
    startManager({
      stateDir: o.stateDir,
      nodeId: security?.nodeId ?? loadOrCreateNodeId(o.stateDir),
      hostname,
      security,
      ...(identity ? { identity } : {}),
      remoteApi: o.listenRemoteApi,
      controlSocket: o.listenControlApi,
      http: o.listenHttp,
      webDir: o.webDir ?? defaultWebDir,
      httpTls: httpTls(o, log),
      minCertExpiryMs: o.minCertExpiry,
      joinAddr: o.joinAddr ?? loadManagers(o.stateDir)[0],
      forceNewCluster: o.forceNewCluster,
      joinRatePerMinute: o.joinRate,
      log,
    });
  let manager: Manager | undefined = !sec0 || sec0.role === 'MANAGER' ? await startManagerPart(sec0) : undefined;
  const sec = manager?.security ?? sec0!;
  const identity = manager?.identity ?? createProvider({ identity: { certPem: sec.certPem + sec.rootCaPem, keyPem: sec.keyPem } });
  const ca = createProvider({ ca: [sec.rootCaPem] });
  const localAddr = (m: Manager) => m.remoteApiAddr.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:');
  const remote = () => [...new Set([...(o.joinAddr ? [o.joinAddr] : []), ...loadManagers(o.stateDir), ...agentManagers()])];
  let agentManagers = (): string[] => [];
  /** Where certificate requests go: this node's own manager first, unless it is being demoted (its copy of the store goes stale). */
  let preferLocal = true;
  const managers = () => {
    const others = remote().filter((a) => !manager || a !== localAddr(manager));
    return manager && preferLocal ? [localAddr(manager), ...others] : others;
  };
  if (managers().length === 0) throw new Fatal(`no manager known for this worker: pass --join-addr`);

  const agent: Agent = await startAgent({
    nodeId: sec.nodeId,
    managerAddr: managers()[0]!,
    stateDir: o.stateDir,
    executor,
    hostname,
    credentials: channelCredentials(ca, identity),
    channelOptions: { 'grpc.ssl_target_name_override': MANAGER_SAN },
    logger: log.child({ component: 'agent' }),
    onManagers: (addrs) => saveManagers(o.stateDir, addrs),
  });
  agentManagers = () => agent.status().managers.map((m) => m.addr);
  // Live connections keep the certificate they were opened with: move the session onto the new one.
  const renewer = startRenewer({
    stateDir: o.stateDir,
    initial: sec,
    managers,
    ca,
    identity,
    log: log.child({ component: 'certs' }),
    onRenewed: () => agent.reconnect('certificate renewed'),
  });
  const roles = watchRole({
    stateDir: o.stateDir,
    nodeRole: () => (agent.status().node as { role?: unknown } | undefined)?.role,
    certRole: () => renewer.current().role,
    renew: async (demoting) => {
      preferLocal = !demoting;
      try {
        await renewer.renewNow();
      } finally {
        preferLocal = true;
      }
    },
    running: () => manager !== undefined,
    startManager: async () => {
      manager = await startManagerPart(renewer.current(), identity);
    },
    stopManager: async () => {
      const m = manager;
      manager = undefined;
      await m?.stop();
    },
    log: log.child({ component: 'roles' }),
  });

  const url = manager?.httpAddr ? `${manager.httpScheme}://${manager.httpAddr.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}/` : undefined;
  process.stdout.write(
    [
      `swarmd ${sec.nodeId} (${hostname}) is up as ${sec.role.toLowerCase()} of cluster ${sec.clusterId}; executor: ${executor.name}`,
      ...(manager
        ? [
            url ? `dashboard: ${url}` : 'dashboard: disabled (--no-listen-http)',
            ...(url && manager.setupPath ? [`first sign-in (one-time link, creates the admin): ${url.replace(/\/$/, '')}${manager.setupPath}`] : []),
            `remote API (gRPC, mutual TLS): ${manager.remoteApiAddr}`,
            `control socket: ${manager.controlSocket}`,
            `swarmctl: SWARM_SOCKET=${manager.controlSocket} npm run -s swarmctl -- node ls`,
          ]
        : [`manager: ${managers().join(', ')}`]),
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping (tasks keep running)`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    roles.stop();
    renewer.stop();
    const t0 = performance.now();
    await agent.stop();
    const t1 = performance.now();
    await manager?.stop();
    const t2 = performance.now();
    if (t2 - t0 > 2000) log.warn(`slow stop: agent ${Math.round(t1 - t0)} ms, manager ${Math.round(t2 - t1)} ms`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e) => {
  console.error(`swarmd: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
