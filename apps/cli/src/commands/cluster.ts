/** `swarmctl cluster inspect <cluster>`. */
import type { Command } from 'commander';
import { clusterSummary } from '../format/print.js';
import { table } from '../format/table.js';
import { parseDurationFlag, parseChoice } from '../flags/parse.js';
import { CliError, action, withFormat } from './common.js';
import { UsageError } from '../client.js';

function parseHistory(v: string): number {
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new UsageError(`invalid --taskhistory "${v}": expected an integer`);
  return n;
}

function parseRate(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 1) throw new UsageError(`invalid --max-heartbeat-rate "${v}": expected a number of heartbeats per second, at least 1`);
  return n;
}

export function registerCluster(program: Command): void {
  const cluster = program.command('cluster').description('Cluster management');

  withFormat(cluster.command('inspect').description('Inspect a cluster').argument('<cluster>', 'cluster name ("default"), ID or ID prefix')).action(
    action(async (ctx, ref: string) => {
      // The API serves the one cluster object; match the reference here as swarmctl's resolver would.
      const c = await ctx.api.cluster.inspect.query();
      const r = ref.trim().toLowerCase();
      if (!(c.id === ref || c.spec.annotations.name.toLowerCase() === r || (r.length > 0 && c.id.startsWith(r)))) {
        throw new CliError(`cluster ${ref} not found`);
      }
      if (ctx.json) return ctx.printJson(c);
      ctx.out(clusterSummary(c));
    }),
  );

  withFormat(
    cluster
      .command('update')
      .description('Update a cluster')
      .argument('<cluster>', 'cluster name ("default"), ID or ID prefix')
      .option('--rotate-join-token <role>', 'rotate the join token of a role: worker or manager')
      .option('--certexpiry <duration>', 'node certificate lifetime (default 2160h0m0s; at least 1h)')
      .option('--heartbeatperiod <duration>', 'dispatcher heartbeat period')
      .option('--max-heartbeat-rate <n>', 'heartbeats per second the leader asks of all nodes together; the period stretches to nodes ÷ n (default 100)')
      .option('--taskhistory <n>', 'task history entries kept per slot (negative: keep all)'),
  ).action(
    action(async (ctx, ref: string) => {
      const c = await ctx.api.cluster.inspect.query();
      const r = ref.trim().toLowerCase();
      if (!(c.id === ref || c.spec.annotations.name.toLowerCase() === r || (r.length > 0 && c.id.startsWith(r)))) throw new CliError(`cluster ${ref} not found`);
      const o = ctx.opts as Record<string, string | undefined>;
      const unwrap = <T>(x: { ok: true; value: T } | { ok: false; error: string }): T => {
        if (!x.ok) throw new UsageError(x.error);
        return x.value;
      };
      const input = {
        ...(o['rotateJoinToken'] ? { rotateJoinToken: unwrap(parseChoice('--rotate-join-token', o['rotateJoinToken'], { worker: 'worker', manager: 'manager' } as const)) } : {}),
        ...(o['certexpiry'] ? { nodeCertExpiryMs: unwrap(parseDurationFlag('--certexpiry', o['certexpiry'])) } : {}),
        ...(o['heartbeatperiod'] ? { heartbeatPeriodMs: unwrap(parseDurationFlag('--heartbeatperiod', o['heartbeatperiod'])) } : {}),
        ...(o['taskhistory'] !== undefined ? { taskHistoryRetentionLimit: parseHistory(o['taskhistory']) } : {}),
        ...(o['maxHeartbeatRate'] !== undefined ? { maxHeartbeatsPerSecond: parseRate(o['maxHeartbeatRate']) } : {}),
      };
      if (Object.keys(input).length === 0) throw new CliError('no changes requested');
      const updated = await ctx.api.cluster.update.mutate(input);
      if (ctx.json) return ctx.printJson(updated);
      ctx.out(updated.id);
    }),
  );

  withFormat(
    cluster
      .command('join-command')
      .description('Print the lines that add a node: the installer one-liner and the swarmd command')
      .argument('<role>', 'worker or manager')
      .option('--url <url>', 'manager URL to put in the installer line (default: its HTTP listener)'),
  ).action(
    action(async (ctx, role: string) => {
      const r = role.trim().toLowerCase();
      if (r !== 'worker' && r !== 'manager') throw new UsageError(`invalid role "${role}": expected worker or manager`);
      const url = (ctx.opts as Record<string, string | undefined>)['url'];
      const j = await ctx.api.cluster.joinCommands.query(url ? { url } : {});
      if (ctx.json) return ctx.printJson(j);
      const line = j[r];
      ctx.out(
        [
          `To add a ${r} to this swarm, run on the new machine:`,
          '',
          ...(line.install ? [`  ${line.install}`, '', 'or, with swarmd already installed:', ''] : []),
          `  ${line.swarmd}`,
          '',
          `CA fingerprint: ${j.caFingerprint}`,
          '',
        ].join('\n'),
      );
    }),
  );

  withFormat(cluster.command('ls').alias('list').description('List clusters').option('-q, --quiet', 'Only display IDs')).action(
    action(async (ctx) => {
      const c = await ctx.api.cluster.inspect.query();
      if (ctx.json) return ctx.printJson([c]);
      if (ctx.opts.quiet) return ctx.out(`${c.id}\n`);
      ctx.out(table(['ID', 'Name'], [[c.id, c.spec.annotations.name]]));
    }),
  );
}
