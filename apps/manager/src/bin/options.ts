/** swarmd's command line, validated with zod: SwarmKit's flags where they apply. */
import os from 'node:os';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { formatZodError, parseDuration } from '@swarm/shared';
import { validateNodeLabels } from '../security/node-ca.js';
import { parseHostPort } from '../server/http.js';
import { VERSION } from '../version.js';

const HostPort = (def: number) =>
  z.string().transform((s, ctx) => {
    try {
      return parseHostPort(s, def);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  });

export const SwarmdOptionsSchema = z.object({
  stateDir: z.string().min(1),
  hostname: z.string().min(1).optional(),
  listenRemoteApi: HostPort(4242),
  listenControlApi: z.string().min(1),
  listenHttp: HostPort(4280).optional(),
  engineAddr: z.string().regex(/^(unix|tcp|http|https):\/\//, 'must be unix:///path or tcp://host:port'),
  executor: z.enum(['docker', 'process', 'sim', 'auto']),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']),
  webDir: z.string().optional(),
  containerNetwork: z.enum(['none', 'host']),
  joinRate: z.coerce.number().int().positive().optional(),
  httpTlsCert: z.string().min(1).optional(),
  httpTlsKey: z.string().min(1).optional(),
  insecureHttp: z.boolean().default(false),
  joinAddr: z.string().min(1).optional(),
  joinToken: z.string().min(1).optional(),
  availability: z.enum(['ACTIVE', 'PAUSE', 'DRAIN']).optional(),
  nodeLabels: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s.trim() === '') return undefined;
      const labels: Record<string, string> = {};
      for (const part of s.split(',')) {
        const i = part.indexOf('=');
        const k = (i < 0 ? part : part.slice(0, i)).trim();
        labels[k] = i < 0 ? '' : part.slice(i + 1);
      }
      const bad = validateNodeLabels(labels);
      if (bad) {
        ctx.addIssue({ code: 'custom', message: bad });
        return z.NEVER;
      }
      return labels;
    }),
  checkJoin: z.boolean().default(false),
  forceNewCluster: z.boolean().default(false),
  /** SwarmKit's --generic-node-resources "gpu=2,fpga=1": discrete resources this node offers. */
  genericNodeResources: z.string().optional().transform((s, ctx) => {
    const out: Record<string, number> = {};
    for (const part of (s ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
      const m = /^([a-zA-Z0-9][a-zA-Z0-9_.-]*)=(\d+)$/.exec(part);
      if (!m || Number(m[2]) > 1e6) {
        ctx.addIssue({ code: 'custom', message: `--generic-node-resources: "${part}" must be NAME=COUNT (count 0..1000000)` });
        return z.NEVER;
      }
      out[m[1]!] = Number(m[2]);
    }
    return out;
  }),
  engineLabel: z.array(z.string()).default([]).transform((list, ctx) => {
    const out: Record<string, string> = {};
    for (const l of list) {
      const i = l.indexOf('=');
      if (i <= 0) {
        ctx.addIssue({ code: 'custom', message: `--engine-label: "${l}" must be KEY=VALUE` });
        return z.NEVER;
      }
      out[l.slice(0, i)] = l.slice(i + 1);
    }
    return out;
  }),
  minCertExpiry: z.string().transform((s, ctx) => {
    const d = parseDuration(s);
    if (!d.ok) {
      ctx.addIssue({ code: 'custom', message: d.error });
      return z.NEVER;
    }
    return d.value;
  }),
});
export type SwarmdOptions = z.infer<typeof SwarmdOptionsSchema>;

export function parseSwarmdArgs(argv: string[]): SwarmdOptions {
  const cmd = new Command('swarmd')
    .description('Run a swarm node: manager and agent in one process')
    .version(VERSION, '-v, --version')
    .option('-d, --state-dir <dir>', 'state directory', '/var/lib/swarmd')
    .option('--hostname <name>', 'override the reported hostname', undefined)
    .option('--listen-remote-api <addr>', 'gRPC address for agents (TLS arrives with node certificates; keep it on loopback until then)', '127.0.0.1:4242')
    .option('--listen-control-api <path>', 'control API unix socket (mode 0600)', '/var/run/swarmd.sock')
    .option('--listen-http <addr>', 'dashboard and tRPC API over HTTP/WebSocket', '127.0.0.1:4280')
    .option('--no-listen-http', 'do not serve HTTP')
    .option('--engine-addr <addr>', 'Docker Engine address', 'unix:///var/run/docker.sock')
    .addOption(new Option('--executor <kind>', 'how tasks run (auto: docker when the engine answers, else process)').choices(['docker', 'process', 'sim', 'auto']).default('auto'))
    .addOption(new Option('-l, --log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .addOption(new Option('--container-network <mode>', 'network of task containers that publish no ports: none (isolated) or host').choices(['none', 'host']).default('none'))
    .option('--web-dir <dir>', 'dashboard static files (default: the built apps/web/out)')
    .option('--http-tls-cert <file>', 'PEM certificate (chain) for the dashboard over HTTPS')
    .option('--http-tls-key <file>', 'PEM key for --http-tls-cert')
    .option('--insecure-http', 'allow plain HTTP on a non-loopback --listen-http (not recommended)')
    .option('--join-addr <addr>', 'join the cluster whose manager answers at this address')
    .addOption(new Option('--join-token <token>', 'join token (SWMTKN-1-...) for --join-addr').env('SWARMD_JOIN_TOKEN'))
    .option('--node-labels <k=v,...>', 'labels of this node, set when it joins (--join-addr)')
    .option('--force-new-cluster', 'disaster recovery: restart this manager as the only member of its cluster, keeping all committed state')
    .option('--check-join', 'check that --join-token would join the manager at --join-addr, print the role it grants, and exit (changes nothing)')
    .addOption(new Option('--availability <a>', 'availability of a newly joined node').choices(['ACTIVE', 'PAUSE', 'DRAIN']))
    .option('--join-rate <n>', 'join attempts allowed per client address per minute (default 30)')
    .option('--generic-node-resources <list>', 'generic resources this node offers, e.g. gpu=2,fpga=1')
    .option('--engine-label <key=value>', 'engine label to report (sim and process executors; Docker reports its own; repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--min-cert-expiry <duration>', 'shortest node certificate lifetime the CA accepts (tests only; SwarmKit: 1h)', '1h')
    .exitOverride();
  cmd.parse(argv, { from: 'user' });
  const o = cmd.opts();
  const parsed = SwarmdOptionsSchema.safeParse({
    ...o,
    hostname: o['hostname'] ?? undefined,
    availability: typeof o['availability'] === 'string' ? o['availability'].toUpperCase() : undefined,
    listenHttp: o['listenHttp'] === false ? undefined : o['listenHttp'],
  });
  if (!parsed.success) throw new Error(`invalid flags: ${formatZodError(parsed.error)}`);
  if (!!parsed.data.httpTlsCert !== !!parsed.data.httpTlsKey) throw new Error('invalid flags: --http-tls-cert and --http-tls-key go together');
  return parsed.data;
}

export const defaultHostname = () => os.hostname();

export const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);
