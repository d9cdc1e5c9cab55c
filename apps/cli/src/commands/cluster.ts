/** `swarmctl cluster inspect <cluster>`. */
import type { Command } from 'commander';
import { clusterSummary } from '../format/print.js';
import { table } from '../format/table.js';
import { CliError, action, withFormat } from './common.js';

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

  withFormat(cluster.command('ls').alias('list').description('List clusters').option('-q, --quiet', 'Only display IDs')).action(
    action(async (ctx) => {
      const c = await ctx.api.cluster.inspect.query();
      if (ctx.json) return ctx.printJson([c]);
      if (ctx.opts.quiet) return ctx.out(`${c.id}\n`);
      ctx.out(table(['ID', 'Name'], [[c.id, c.spec.annotations.name]]));
    }),
  );
}
