#!/usr/bin/env node
/**
 * swarmd: the node daemon. Runs the manager (store, control loops,
 * dispatcher, API, dashboard) and the agent (which talks to the dispatcher
 * over gRPC like any remote agent) in one process. Ctrl-C stops it cleanly;
 * state survives in --state-dir.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Agent, type Executor, createDockerExecutor, createProcessExecutor, createSimExecutor, detectExecutor, startAgent } from '@swarm/agent';
import { createLogger, type Logger } from '../lib/log.js';
import { startManager } from '../manager.js';
import { loadOrCreateNodeId } from './node-identity.js';
import { type SwarmdOptions, parseSwarmdArgs } from './options.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const defaultWebDir = path.resolve(here, '../../../web/out');

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
      return createDockerExecutor({ engineAddr: o.engineAddr, logger: log, ...(extraLabels ? { extraLabels } : {}) });
    case 'process':
      return createProcessExecutor({ logger: log });
    case 'sim':
      return createSimExecutor();
  }
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
  const log = createLogger(o.logLevel);
  fs.mkdirSync(o.stateDir, { recursive: true, mode: 0o700 });
  const nodeId = loadOrCreateNodeId(o.stateDir);
  const executor = await makeExecutor(o, log.child({ component: 'executor' }));
  const description = await executor.describe();
  const hostname = o.hostname ?? description.hostname;

  const manager = await startManager({
    stateDir: o.stateDir,
    nodeId,
    hostname,
    remoteApi: o.listenRemoteApi,
    controlSocket: o.listenControlApi,
    http: o.listenHttp,
    webDir: o.webDir ?? defaultWebDir,
    log,
  });
  const agentAddr = manager.remoteApiAddr.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:');
  const agent: Agent = await startAgent({ nodeId, managerAddr: agentAddr, stateDir: o.stateDir, executor, hostname, logger: log.child({ component: 'agent' }) });

  const url = manager.httpAddr ? `http://${manager.httpAddr.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}/` : undefined;
  process.stdout.write(
    [
      `swarmd ${nodeId} (${hostname}) is up; executor: ${executor.name}`,
      url ? `dashboard: ${url}` : 'dashboard: disabled (--no-listen-http)',
      `remote API (gRPC): ${manager.remoteApiAddr}`,
      `control socket: ${manager.controlSocket}`,
      `swarmctl: SWARM_SOCKET=${manager.controlSocket} npm run -s swarmctl -- node ls`,
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
    await agent.stop();
    await manager.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e) => {
  console.error(`swarmd: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
