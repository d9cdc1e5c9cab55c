/** `swarmctl node …`: ls, inspect, activate|pause|drain, promote|demote, update, rm. */
import type { Command } from 'commander';
import type { Node, NodeAvailability } from '@swarm/shared';
import { UsageError } from '../client.js';
import { parseKeyValues } from '../flags/parse.js';
import { sameSpec } from '../flags/service-flags.js';
import { nodeSummary, reservedBy, nodesTable, taskPrint } from '../format/print.js';
import { type Ctx, CliError, Resolver, action, withFormat } from './common.js';

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

async function selfId(ctx: Ctx): Promise<string | undefined> {
  try {
    return (await ctx.api.system.version.query()).nodeId;
  } catch {
    return undefined;
  }
}

/** Sets a node's availability; "already" messages as swarmctl words them. */
async function setAvailability(ctx: Ctx, ref: string, availability: NodeAvailability, already: string): Promise<void> {
  const node = await ctx.api.node.get.query({ ref });
  if (node.spec.availability === availability) throw new CliError(`Node ${ref} ${already}`);
  const updated = await ctx.api.node.update.mutate({ ref: node.id, availability });
  if (ctx.json) ctx.printJson(updated);
}

export function registerNode(program: Command): void {
  const node = program.command('node').description('Node management');

  withFormat(node.command('ls').alias('list').description('List nodes').option('-q, --quiet', 'Only display IDs')).action(
    action(async (ctx) => {
      const [nodes, self] = await Promise.all([ctx.api.node.list.query(), ctx.opts.quiet || ctx.json ? undefined : selfId(ctx)]);
      if (ctx.json) return ctx.printJson(nodes);
      if (ctx.opts.quiet) return ctx.out(nodes.map((n) => `${n.id}\n`).join(''));
      ctx.out(nodesTable(nodes, self));
    }),
  );

  withFormat(node.command('inspect').description('Inspect a node').argument('<node>', 'node ID, ID prefix or name').option('-a, --all', 'Show all tasks (default shows just running)')).action(
    action(async (ctx, ref: string) => {
      const n: Node = await ctx.api.node.get.query({ ref });
      if (ctx.json) return ctx.printJson(n);
      const [tasks, self, res] = await Promise.all([ctx.api.task.list.query({ node: n.id, all: true }), selfId(ctx), Resolver.load(ctx, { nodes: true })]);
      let s = nodeSummary(n, self, reservedBy(tasks));
      if (tasks.length > 0) s += `\n${taskPrint(tasks, Boolean(ctx.opts.all), res)}`;
      ctx.out(s);
    }),
  );

  const availability: [string, NodeAvailability, string, string][] = [
    ['activate', 'ACTIVE', 'Activate a node', 'is already active'],
    ['pause', 'PAUSE', 'Pause a node', 'was already paused'],
    ['drain', 'DRAIN', 'Drain a node', 'was already drained'],
  ];
  for (const [name, value, description, already] of availability) {
    withFormat(node.command(name).description(description).argument('<node>', 'node ID, ID prefix or name')).action(
      action(async (ctx, ref: string) => setAvailability(ctx, ref, value, already)),
    );
  }

  const roles: [string, 'MANAGER' | 'WORKER', string, string][] = [
    ['promote', 'MANAGER', 'Promote a node to a manager', 'is already a manager'],
    ['demote', 'WORKER', 'Demote a node from a manager to a worker', 'is already a worker'],
  ];
  for (const [name, desiredRole, description, already] of roles) {
    withFormat(node.command(name).description(description).argument('<node>', 'node ID, ID prefix or name')).action(
      action(async (ctx, ref: string) => {
        const n = await ctx.api.node.get.query({ ref });
        if (n.spec.desiredRole === desiredRole) throw new CliError(`Node ${ref} ${already}`);
        const updated = await ctx.api.node.update.mutate({ ref: n.id, desiredRole });
        if (ctx.json) ctx.printJson(updated);
      }),
    );
  }

  withFormat(
    node
      .command('update')
      .description('Update a node')
      .argument('<node>', 'node ID, ID prefix or name')
      .option('--label <key=value>', 'node label (repeatable or comma-separated; replaces all labels)', collect),
  ).action(
    action(async (ctx, ref: string) => {
      const n = await ctx.api.node.get.query({ ref });
      const given = ctx.opts.label as string[] | undefined;
      let labels = n.spec.annotations.labels;
      if (given !== undefined) {
        const r = parseKeyValues('label', given);
        if (!r.ok) throw new UsageError(r.error);
        labels = r.value;
      }
      if (sameSpec(labels, n.spec.annotations.labels)) throw new CliError(`No change for node ${ref}`);
      const updated = await ctx.api.node.update.mutate({ ref: n.id, labels });
      if (ctx.json) ctx.printJson(updated);
    }),
  );

  withFormat(
    node
      .command('remove')
      .alias('rm')
      .description('Remove a node (a live node needs --force)')
      .argument('<node>', 'node ID, ID prefix or name')
      .option('-f, --force', 'remove even if the node is up'),
  ).action(
    action(async (ctx, ref: string) => {
      const r = await ctx.api.node.remove.mutate({ ref, force: ctx.opts.force === true });
      if (ctx.json) return ctx.printJson(r);
      ctx.out(r.id);
    }),
  );
}
