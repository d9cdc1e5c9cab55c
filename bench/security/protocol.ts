/** Messages between the security bench and its agent processes (./agents.ts), and their shared clock. */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** CPU time (user + system) a process has used so far, in ms (Linux /proc). */
export function processCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in USER_HZ (100)
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
export const clockMs = (): number => performance.timeOrigin + performance.now();

export const AgentCredsSchema = z.object({ nodeId: z.string(), certPem: z.string(), keyPem: z.string() });
export type AgentCreds = z.infer<typeof AgentCredsSchema>;

export const ParentMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('setup'), addr: z.string(), rootCaPem: z.string(), description: z.string(), agents: z.array(AgentCredsSchema) }),
  z.object({ kind: z.literal('storm'), at: z.number() }),
  z.object({ kind: z.literal('exit') }),
]);
export type ParentMessage = z.infer<typeof ParentMessageSchema>;

export const ChildReplySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('started') }),
  z.object({ kind: z.literal('ready') }),
  z.object({ kind: z.literal('storm'), firsts: z.array(z.number()), errors: z.array(z.string()), cpuMs: z.number(), connected: z.array(z.number()) }),
  z.object({ kind: z.literal('fatal'), error: z.string() }),
]);
export type ChildReply = z.infer<typeof ChildReplySchema>;

export interface AgentProcess {
  /** Sends a message and resolves with the child's next reply. */
  request(m: ParentMessage): Promise<ChildReply>;
  stop(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

export async function startAgentProcess(): Promise<AgentProcess> {
  const child: ChildProcess = fork(path.join(here, 'agents.ts'), [], {
    // BENCH_AGENT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the agent processes.
    execArgv: [...(process.env['BENCH_AGENT_NODE_ARGS']?.split(' ').filter(Boolean) ?? []), '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting: Array<(r: ChildReply) => void> = [];
  let failure: Error | undefined;
  const fail = (e: Error) => {
    failure = e;
    for (const w of waiting.splice(0)) w({ kind: 'fatal', error: e.message });
  };
  child.on('message', (raw) => {
    const r = ChildReplySchema.safeParse(raw);
    const reply: ChildReply = r.success ? r.data : { kind: 'fatal', error: `bad reply from an agent process: ${r.error.message}` };
    waiting.shift()?.(reply);
  });
  child.on('exit', (code, signal) => fail(new Error(`agent process exited (${code ?? signal})`)));
  const next = () => new Promise<ChildReply>((resolve) => (failure ? resolve({ kind: 'fatal', error: failure.message }) : waiting.push(resolve)));
  const started = await next();
  if (started.kind !== 'started') throw new Error(`agent process did not start: ${JSON.stringify(started)}`);
  return {
    request(m) {
      const r = next();
      child.send(m);
      return r;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.send({ kind: 'exit' } satisfies ParentMessage);
      const timer = setTimeout(() => child.kill(), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
