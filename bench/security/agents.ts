/**
 * Child process of the security bench: simulated agents for the reconnect
 * storm, away from the measuring process. Each agent has its own gRPC channel
 * (real mutual TLS with its own node certificate) and opens a real dispatcher
 * session. For every storm the parent names an instant on the shared system
 * clock; the channels are built before it, the sessions are opened at it, and
 * the child answers with the clock time each agent got its first message.
 */
import * as grpc from '@grpc/grpc-js';
import { z } from 'zod';
import { loadService } from '../../apps/manager/src/lib/proto.js';
import { MANAGER_SAN, channelCredentials, createProvider } from '../../apps/manager/src/security/providers.js';
import { type ChildReply, ParentMessageSchema, clockMs } from './protocol.js';

type SessionClient = grpc.Client & { Session(req: object): grpc.ClientReadableStream<unknown> };

const send = (m: ChildReply) => process.send?.(m);

let setup: z.infer<typeof ParentMessageSchema> & { kind: 'setup' } | undefined;

async function storm(at: number): Promise<void> {
  if (!setup) throw new Error('storm before setup');
  const { addr, rootCaPem, description, agents } = setup;
  const cpu0 = process.cpuUsage();
  const Dispatcher = loadService('dispatcher.proto', ['swarm', 'dispatcher', 'v1', 'Dispatcher']);
  const ca = createProvider({ ca: [rootCaPem] });
  // Everything an agent holds before it reconnects: its credentials and a (not yet connected) channel.
  const clients = agents.map(
    (a) => new Dispatcher(addr, channelCredentials(ca, createProvider({ identity: { certPem: a.certPem + rootCaPem, keyPem: a.keyPem } })), { 'grpc.ssl_target_name_override': MANAGER_SAN }) as unknown as SessionClient,
  );
  const streams: grpc.ClientReadableStream<unknown>[] = [];
  // Sleep to just before the instant, then spin: all children start within a fraction of a millisecond of it.
  const wait = at - clockMs() - 15;
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  while (clockMs() < at);
  // When each channel finished its TLS handshake (the session's first message needs the node write on top).
  const connected: number[] = [];
  for (const c of clients) c.waitForReady(Date.now() + 300_000, (e) => void (e || connected.push(clockMs())));
  const firsts = await Promise.all(
    clients.map(
      (c, i) =>
        new Promise<number | string>((resolve) => {
          const s = c.Session({ description_json: description, session_id: '', node_id: agents[i]!.nodeId });
          streams.push(s);
          s.once('data', () => resolve(clockMs()));
          s.once('error', (e: Error) => resolve(e.message));
        }),
    ),
  );
  const cpu = process.cpuUsage(cpu0);
  for (const s of streams) s.cancel();
  for (const c of clients) c.close();
  send({
    cpuMs: (cpu.user + cpu.system) / 1000,
    connected,
    kind: 'storm',
    firsts: firsts.filter((f): f is number => typeof f === 'number'),
    errors: firsts.filter((f): f is string => typeof f === 'string'),
  });
}

process.on('message', (raw) => {
  const m = ParentMessageSchema.safeParse(raw);
  if (!m.success) {
    send({ kind: 'fatal', error: `bad message from the bench: ${m.error.message}` });
    return;
  }
  if (m.data.kind === 'setup') {
    setup = m.data;
    send({ kind: 'ready' });
  } else if (m.data.kind === 'storm') {
    storm(m.data.at).catch((e: Error) => send({ kind: 'fatal', error: e.stack ?? e.message }));
  } else process.exit(0);
});
send({ kind: 'started' });
