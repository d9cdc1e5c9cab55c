/**
 * The manager: store + persistence, the leader's control loops, the
 * dispatcher's gRPC server and the API servers (HTTP/WebSocket and the
 * control socket). Composition only; each part lives in its own module.
 *
 *          ┌──────────── store (the only bus) ────────────┐
 *   API ──►│ services  nodes  tasks  cluster  │──► WAL+snapshot
 *          └──▲────────▲──────────▲──────────▲─┘
 *       orchestrator scheduler dispatcher ◄──gRPC── agents
 */
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { type Clock, systemClock } from '@swarm/shared';
import { bootstrap } from './bootstrap.js';
import { type Dispatcher, createDispatcher } from './dispatcher/dispatcher.js';
import { loadDispatcherService } from './dispatcher/proto.js';
import type { Loop } from './lib/control-loop.js';
import { type Logger, silentLogger } from './lib/log.js';
import { startReplicatedOrchestrator } from './orchestrator/orchestrator.js';
import { startScheduler } from './scheduler/scheduler.js';
import { type ApiServer, type Listen, startApiServer } from './server/http.js';
import { openLocalPersistence } from './store/persist.js';
import { type Store, createStore } from './store/store.js';
import { VERSION } from './version.js';

export interface ManagerOptions {
  stateDir: string;
  nodeId: string;
  hostname: string;
  /** gRPC for agents (and later other managers). */
  remoteApi: { host: string; port: number };
  /** Unix socket for swarmctl, mode 0600. */
  controlSocket?: string | undefined;
  /** Dashboard + tRPC over HTTP/WebSocket. */
  http?: { host: string; port: number } | undefined;
  webDir?: string | undefined;
  clock?: Clock;
  log?: Logger;
}

export interface Manager {
  store: Store;
  dispatcher: Dispatcher;
  /** Bound addresses (ports resolved when 0 was asked for). */
  remoteApiAddr: string;
  httpAddr?: string | undefined;
  controlSocket?: string | undefined;
  stop(): Promise<void>;
  /** Resolves when the control loops have nothing left to do (tests). */
  idle(): Promise<void>;
}

export async function startManager(opts: ManagerOptions): Promise<Manager> {
  const log = opts.log ?? silentLogger;
  const clock = opts.clock ?? systemClock;
  const store = createStore({ clock });
  const persistence = openLocalPersistence(path.join(opts.stateDir, 'store'), store, { log: (m) => log.child({ component: 'store' }).warn(m) });
  store.setProposer(persistence.proposer);
  const r = persistence.recovered;
  log.info(`store at version ${store.version()} (snapshot ${r.snapshotVersion}, replayed ${r.replayed} commits${r.truncatedBytes ? `, dropped ${r.truncatedBytes} torn bytes` : ''})`);

  const boot = await bootstrap(store, { nodeId: opts.nodeId, hostname: opts.hostname });
  if (!boot.ok) throw new Error(`bootstrap failed: ${JSON.stringify(boot.error)}`);

  const grpcServer = new grpc.Server({ 'grpc.max_receive_message_length': 16 << 20 });
  let remoteApiAddr = '';
  const dispatcher = createDispatcher({
    store,
    clock,
    managerId: () => opts.nodeId,
    managers: () => [{ node_id: opts.nodeId, addr: remoteApiAddr, weight: 10 }],
    identify: (_call, claimed) => claimed || undefined,
    log: (m) => log.child({ component: 'dispatcher' }).info(m),
  });
  grpcServer.addService(loadDispatcherService(), dispatcher.implementation);
  const port = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync(`${opts.remoteApi.host}:${opts.remoteApi.port}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  remoteApiAddr = `${opts.remoteApi.host}:${port}`;
  dispatcher.expect(boot.value.unknown);

  const loops: Loop[] = [
    startReplicatedOrchestrator({ store, clock, log: (m) => log.child({ component: 'orchestrator' }).warn(m) }),
    startScheduler({ store, clock }),
  ];

  const context = () => ({ store, self: { nodeId: opts.nodeId, version: VERSION } });
  const servers: ApiServer[] = [];
  const listen = async (l: Listen) => {
    const s = await startApiServer({ listen: l, context, webDir: opts.webDir });
    servers.push(s);
    return s.address;
  };
  const controlSocket = opts.controlSocket ? await listen({ kind: 'unix', path: opts.controlSocket }) : undefined;
  const httpAddr = opts.http ? await listen({ kind: 'tcp', ...opts.http }) : undefined;

  return {
    store,
    dispatcher,
    remoteApiAddr,
    httpAddr,
    controlSocket,
    idle: async () => {
      for (let i = 0; i < 3; i++) {
        await dispatcher.flush();
        await Promise.all(loops.map((l) => l.idle()));
      }
    },
    async stop() {
      await Promise.all(servers.map((s) => s.close()));
      await Promise.all(loops.map((l) => l.stop()));
      await dispatcher.stop();
      await new Promise<void>((resolve) => grpcServer.tryShutdown(() => resolve()));
      grpcServer.forceShutdown();
      persistence.close();
    },
  };
}
