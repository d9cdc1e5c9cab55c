/** `swarmctl task …`: ls, inspect. */
import type { Command } from 'commander';
import { taskPrint, taskSummary, tasksTable } from '../format/print.js';
import { Resolver, action, withFormat } from './common.js';

export function registerTask(program: Command): void {
  const task = program.command('task').description('Task management');

  withFormat(
    task
      .command('ls')
      .alias('list')
      .description('List tasks')
      .option('-a, --all', 'Show all tasks (default shows just running)')
      .option('-q, --quiet', 'Only display IDs')
      .option('--service <service>', 'only tasks of this service (ID, ID prefix or name)')
      .option('--node <node>', 'only tasks on this node (ID, ID prefix or name)'),
  ).action(
    action(async (ctx) => {
      const tasks = await ctx.api.task.list.query({
        all: Boolean(ctx.opts.all),
        ...(ctx.opts.service !== undefined ? { service: String(ctx.opts.service) } : {}),
        ...(ctx.opts.node !== undefined ? { node: String(ctx.opts.node) } : {}),
      });
      if (ctx.json) return ctx.printJson(tasks);
      if (ctx.opts.quiet) return ctx.out(tasks.map((t) => `${t.id}\n`).join(''));
      const res = await Resolver.load(ctx, { services: true, nodes: true });
      ctx.out(tasksTable(tasks, res));
    }),
  );

  withFormat(task.command('inspect').description('Inspect a task').argument('<task>', 'task ID or ID prefix')).action(
    action(async (ctx, ref: string) => {
      const t = await ctx.api.task.get.query({ ref });
      if (ctx.json) return ctx.printJson(t);
      const [siblings, res] = await Promise.all([
        ctx.api.task.list.query({ service: t.serviceId, all: true }).catch(() => []),
        Resolver.load(ctx, { services: true, nodes: true }),
      ]);
      // Earlier tasks of the same slot (global tasks: of the same node).
      const previous = siblings.filter((x) => x.slot === t.slot && (t.slot !== 0 || x.nodeId === t.nodeId));
      let s = taskSummary(t, res);
      if (previous.length > 0) s += `\n===> Task Parents\n${taskPrint(previous, true, res)}`;
      ctx.out(s);
    }),
  );
}
