/** swarmd's command line, validated with zod: SwarmKit's flags where they apply. */
import os from 'node:os';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { formatZodError, parseDuration } from '@swarm/shared';
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
  joinRate: z.coerce.number().int().positive().optional(),
  httpTlsCert: z.string().min(1).optional(),
  httpTlsKey: z.string().min(1).optional(),
  insecureHttp: z.boolean().default(false),
  joinAddr: z.string().min(1).optional(),
  joinToken: z.string().min(1).optional(),
  availability: z.enum(['ACTIVE', 'PAUSE', 'DRAIN']).optional(),
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
    .option('--web-dir <dir>', 'dashboard static files (default: the built apps/web/out)')
    .option('--http-tls-cert <file>', 'PEM certificate (chain) for the dashboard over HTTPS')
    .option('--http-tls-key <file>', 'PEM key for --http-tls-cert')
    .option('--insecure-http', 'allow plain HTTP on a non-loopback --listen-http (not recommended)')
    .option('--join-addr <addr>', 'join the cluster whose manager answers at this address')
    .option('--join-token <token>', 'join token (SWMTKN-1-...) for --join-addr')
    .addOption(new Option('--availability <a>', 'availability of a newly joined node').choices(['ACTIVE', 'PAUSE', 'DRAIN']))
    .option('--join-rate <n>', 'join attempts allowed per client address per minute (default 30)')
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
