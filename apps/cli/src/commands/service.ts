/** `swarmctl service …`: create, ls, inspect, update, rm. */
import { type Command, Option } from 'commander';
import { TaskState } from '@swarm/shared';
import { UsageError } from '../client.js';
import { type ServiceFlags, applyServiceFlags, newServiceSpec, sameSpec } from '../flags/service-flags.js';
import { pendingReasons, serviceSummary, servicesTable, taskPrint } from '../format/print.js';
import { CliError, Resolver, action, withFormat } from './common.js';

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** The service flags shared by create and update (swarmctl's AddServiceFlags, the subset our spec has). */
function addServiceFlags(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'service name')
    .option('--label <key=value>', 'service label (repeatable or comma-separated; replaces all labels)', collect)
    .option('--replicas <n>', 'number of replicas (replicated mode; default 1)')
    .option('--replicas-max-per-node <n>', 'maximum replicas per node (0 = unlimited)')
    .option('--image <image>', 'container image')
    .option('--hostname <hostname>', 'container hostname')
    .option('--command <words>', 'override the entrypoint; split into words like a shell (repeatable: appends)', collect)
    .option('--args <words>', 'container args; split into words like a shell (repeatable: appends)', collect)
    .option('--env <NAME=VALUE>', 'container env (repeatable; each value is taken whole)', collect)
    .option('--constraint <expr>', 'placement constraint, e.g. node.labels.key==value (repeatable or comma-separated)', collect)
    .option('--placement-pref <pref>', 'placement preference, e.g. spread=node.labels.zone (repeatable; nested in order; replaces all)', collect)
    .option('--generic-resources <list>', 'generic resources each task reserves, e.g. gpu=2,fpga=1 (repeatable; replaces all)', collect)
    .option('--cpu-reservation <cpus>', 'CPU cores reserved (e.g. 0.5)')
    .addOption(new Option('--reserve-cpu <cpus>', 'alias of --cpu-reservation').hideHelp())
    .option('--memory-reservation <size>', 'memory reserved (e.g. 512m)')
    .addOption(new Option('--reserve-memory <size>', 'alias of --memory-reservation').hideHelp())
    .option('--cpu-limit <cpus>', 'CPU cores limit (e.g. 0.5)')
    .option('--memory-limit <size>', 'memory limit (e.g. 512m)')
    .option('--restart-condition <condition>', 'when to restart tasks: any, on-failure or none (default any)')
    .option('--restart-delay <duration>', 'delay between restarts (default 5s)')
    .option('--restart-max-attempts <n>', 'maximum restart attempts (0 = unlimited)')
    .option('--restart-window <duration>', 'window to evaluate restart attempts (0 = unbounded)')
    .option('--update-parallelism <n>', 'tasks updated at once (0 = all at once)')
    .option('--update-delay <duration>', 'delay between task updates')
    .option('--update-on-failure <action>', 'on update failure: pause, continue or rollback')
    .option('--update-order <order>', 'stop-first or start-first')
    .option('--update-monitor <duration>', 'how long to watch each updated task for failure')
    .option('--update-max-failure-ratio <ratio>', 'failure ratio tolerated during an update (0..1)')
    .option('--rollback-parallelism <n>', 'tasks rolled back at once (0 = all at once)')
    .option('--rollback-delay <duration>', 'delay between task rollbacks')
    .option('--rollback-on-failure <action>', 'on rollback failure: pause or continue')
    .option('--rollback-order <order>', 'stop-first or start-first')
    .option('--rollback-monitor <duration>', 'how long to watch each rolled-back task')
    .option('--rollback-max-failure-ratio <ratio>', 'failure ratio tolerated during a rollback (0..1)')
    .option('--max-concurrent <n>', 'replicated-job: tasks run at once')
    .option('--total-completions <n>', 'replicated-job: completions wanted (default: --max-concurrent)')
    .option('--health-cmd <cmd>', 'health check command, run by the shell in the container')
    .option('--health-interval <duration>', 'time between health checks')
    .option('--health-timeout <duration>', 'maximum time a check may run')
    .option('--health-retries <n>', 'consecutive failures before unhealthy')
    .option('--health-start-period <duration>', 'grace period before failures count')
    .option('--no-healthcheck', "disable the image's health check");
}

/** Commander's option values → the pure flag record. */
export function serviceFlagsFrom(o: Record<string, unknown>): ServiceFlags {
  const s = (k: string) => (o[k] === undefined ? undefined : String(o[k]));
  const a = (k: string) => (o[k] === undefined ? undefined : (o[k] as string[]));
  if (o.cpuReservation !== undefined && o.reserveCpu !== undefined) throw new UsageError('--cpu-reservation and --reserve-cpu are the same flag; give one');
  if (o.memoryReservation !== undefined && o.reserveMemory !== undefined) throw new UsageError('--memory-reservation and --reserve-memory are the same flag; give one');
  return {
    name: s('name'), image: s('image'), hostname: s('hostname'),
    command: a('command'), args: a('args'), env: a('env'), label: a('label'), constraint: a('constraint'),
    placementPref: a('placementPref'), genericResources: a('genericResources'),
    mode: s('mode'), replicas: s('replicas'), replicasMaxPerNode: s('replicasMaxPerNode'),
    cpuReservation: s('cpuReservation') ?? s('reserveCpu'), memoryReservation: s('memoryReservation') ?? s('reserveMemory'),
    cpuLimit: s('cpuLimit'), memoryLimit: s('memoryLimit'),
    restartCondition: s('restartCondition'), restartDelay: s('restartDelay'), restartMaxAttempts: s('restartMaxAttempts'), restartWindow: s('restartWindow'),
    updateParallelism: s('updateParallelism'), updateDelay: s('updateDelay'), updateOnFailure: s('updateOnFailure'), updateOrder: s('updateOrder'),
    updateMonitor: s('updateMonitor'), updateMaxFailureRatio: s('updateMaxFailureRatio'),
    rollbackParallelism: s('rollbackParallelism'), rollbackDelay: s('rollbackDelay'), rollbackOnFailure: s('rollbackOnFailure'), rollbackOrder: s('rollbackOrder'),
    rollbackMonitor: s('rollbackMonitor'), rollbackMaxFailureRatio: s('rollbackMaxFailureRatio'),
    maxConcurrent: s('maxConcurrent'), totalCompletions: s('totalCompletions'),
    healthCmd: s('healthCmd'), healthInterval: s('healthInterval'), healthTimeout: s('healthTimeout'), healthRetries: s('healthRetries'),
    healthStartPeriod: s('healthStartPeriod'), noHealthcheck: o.healthcheck === false ? true : undefined,
  };
}

export function registerService(program: Command): void {
  const service = program.command('service').alias('svc').description('Service management');

  withFormat(
    addServiceFlags(service.command('create').description('Create a service')).option('--mode <mode>', 'replicated, global, replicated-job or global-job (default replicated)'),
  ).action(
    action(async (ctx) => {
      const flags = serviceFlagsFrom(ctx.opts);
      if (flags.name === undefined || flags.image === undefined) throw new UsageError('--name and --image are mandatory');
      const spec = applyServiceFlags(newServiceSpec(), flags, { create: true });
      if (!spec.ok) throw new UsageError(spec.error);
      const created = await ctx.api.service.create.mutate({ spec: spec.value });
      if (ctx.json) return ctx.printJson(created);
      ctx.out(`${created.id}\n`);
    }),
  );

  withFormat(service.command('ls').alias('list').description('List services').option('-q, --quiet', 'Only display IDs')).action(
    action(async (ctx) => {
      const items = await ctx.api.service.list.query();
      if (ctx.json) return ctx.printJson(items);
      if (ctx.opts.quiet) return ctx.out(items.map((i) => `${i.service.id}\n`).join(''));
      ctx.out(servicesTable(items));
    }),
  );

  withFormat(
    service.command('inspect').description('Inspect a service').argument('<service>', 'service ID, ID prefix or name').option('-a, --all', 'Show all tasks (default shows just running)'),
  ).action(
    action(async (ctx, ref: string) => {
      const svc = await ctx.api.service.get.query({ ref });
      if (ctx.json) return ctx.printJson(svc);
      const [tasks, res] = await Promise.all([ctx.api.task.list.query({ service: svc.id, all: true }), Resolver.load(ctx, { nodes: true })]);
      const running = tasks.filter((t) => t.status.state === TaskState.RUNNING).length;
      let s = serviceSummary(svc, running) + pendingReasons(tasks);
      if (tasks.length > 0) s += `\n${taskPrint(tasks, Boolean(ctx.opts.all), res)}`;
      ctx.out(s);
    }),
  );

  withFormat(
    addServiceFlags(service.command('update').description('Update a service').argument('<service>', 'service ID, ID prefix or name')).option(
      '--force',
      'force tasks to restart even if nothing has changed',
    ),
  ).action(
    action(async (ctx, ref: string) => {
      const flags = serviceFlagsFrom(ctx.opts);
      const svc = await ctx.api.service.get.query({ ref });
      const spec = applyServiceFlags(svc.spec, flags);
      if (!spec.ok) throw new UsageError(spec.error);
      const force = ctx.opts.force === true;
      if (!force && sameSpec(spec.value, svc.spec)) throw new CliError('no changes detected');
      const updated = await ctx.api.service.update.mutate({ ref: svc.id, version: svc.meta.version, spec: spec.value, ...(force ? { force: true } : {}) });
      if (ctx.json) return ctx.printJson(updated);
      ctx.out(`${updated.id}\n`);
    }),
  );

  withFormat(service.command('rollback').description('Roll a service back to its previous spec').argument('<service>', 'service ID, ID prefix or name')).action(
    action(async (ctx, ref: string) => {
      const svc = await ctx.api.service.rollback.mutate({ ref });
      if (ctx.json) return ctx.printJson(svc);
      ctx.out(`${svc.id}\n`);
    }),
  );

  withFormat(service.command('remove').alias('rm').description('Remove a service').argument('<service>', 'service ID, ID prefix or name')).action(
    action(async (ctx, ref: string) => {
      const removed = await ctx.api.service.remove.mutate({ ref });
      if (ctx.json) return ctx.printJson(removed);
      ctx.out(`${ref}\n`);
    }),
  );
}
