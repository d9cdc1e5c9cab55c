/** `swarmctl version`: this CLI's version and the manager's. */
import type { Command } from 'commander';
import { VERSION } from '../version.js';
import { action, withFormat } from './common.js';

export function registerVersion(program: Command): void {
  withFormat(program.command('version').description('Print version information')).action(
    action(async (ctx) => {
      if (ctx.json) return ctx.printJson({ client: { version: VERSION }, server: await ctx.api.system.version.query() });
      ctx.out(`swarmctl ${VERSION}\n`);
      const server = await ctx.api.system.version.query();
      ctx.out(`manager ${server.version} (node ${server.nodeId})\n`);
    }),
  );
}
