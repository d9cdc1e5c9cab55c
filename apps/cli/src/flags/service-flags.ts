/**
 * Service flags → ServiceSpec, as swarmctl's flagparser.Merge does it: start
 * from a spec (a fresh one for `service create`, the current one for
 * `service update`), apply only the flags that were given, and leave every
 * other field as it was. A given flag replaces its field (labels, env,
 * command, args and constraints are replaced, not merged).
 *
 * Value syntax:
 *  - --command / --args: each value is split into words like a shell would
 *    (quotes group, backslash escapes); repeated flags append. `--command ""`
 *    clears the field. Commas are NOT separators here (unlike pflag).
 *  - --env: repeatable, each value is one NAME=VALUE taken whole (commas kept).
 *  - --label, --constraint: repeatable and comma-separated, as in SwarmKit.
 *  - durations are Go-style ("5s", "1m30s"); memory takes 512m, 1g, …;
 *    CPU takes 0.5, 2, … (at most 9 decimals).
 *
 * Pure: no I/O, returns a new spec or an error message naming the flag.
 */
import {
  type Result, type RestartPolicy, type ServiceSpec, type UpdateConfig,
  RestartPolicySchema, ServiceSpecSchema, UpdateConfigSchema, canonicalJson, err, ok, validateConstraint, validateSpreadDescriptor,
} from '@swarm/shared';
import { parseChoice, parseCpu, parseDurationFlag, parseKeyValues, parseMemory, parseRatio, parseUint, splitCommas, splitWords } from './parse.js';

/** Raw flag values, exactly as typed; `undefined` = flag not given. */
export interface ServiceFlags {
  name?: string | undefined;
  image?: string | undefined;
  hostname?: string | undefined;
  command?: string[] | undefined;
  args?: string[] | undefined;
  env?: string[] | undefined;
  label?: string[] | undefined;
  mode?: string | undefined;
  replicas?: string | undefined;
  replicasMaxPerNode?: string | undefined;
  constraint?: string[] | undefined;
  placementPref?: string[] | undefined;
  genericResources?: string[] | undefined;
  cpuReservation?: string | undefined;
  memoryReservation?: string | undefined;
  cpuLimit?: string | undefined;
  memoryLimit?: string | undefined;
  restartCondition?: string | undefined;
  restartDelay?: string | undefined;
  restartMaxAttempts?: string | undefined;
  restartWindow?: string | undefined;
  updateParallelism?: string | undefined;
  updateDelay?: string | undefined;
  updateOnFailure?: string | undefined;
  updateOrder?: string | undefined;
  updateMonitor?: string | undefined;
  updateMaxFailureRatio?: string | undefined;
  rollbackParallelism?: string | undefined;
  rollbackDelay?: string | undefined;
  rollbackOnFailure?: string | undefined;
  rollbackOrder?: string | undefined;
  rollbackMonitor?: string | undefined;
  rollbackMaxFailureRatio?: string | undefined;
  maxConcurrent?: string | undefined;
  totalCompletions?: string | undefined;
  healthCmd?: string | undefined;
  healthInterval?: string | undefined;
  healthTimeout?: string | undefined;
  healthRetries?: string | undefined;
  healthStartPeriod?: string | undefined;
  noHealthcheck?: boolean | undefined;
}

/** The spec `service create` starts from: replicated, 1 replica, every default filled in. */
export function newServiceSpec(): ServiceSpec {
  return ServiceSpecSchema.parse({
    annotations: { name: '', labels: {} },
    task: { container: { image: '' } },
    mode: { kind: 'replicated', replicas: 1 },
  });
}

const MODES = { replicated: 'replicated', global: 'global', 'replicated-job': 'replicated-job', 'global-job': 'global-job' } as const;
const RESTART_CONDITIONS = { any: 'any', 'on-failure': 'on-failure', failure: 'on-failure', none: 'none' } as const;
const FAILURE_ACTIONS = { pause: 'pause', continue: 'continue', rollback: 'rollback' } as const;
const ROLLBACK_FAILURE_ACTIONS = { pause: 'pause', continue: 'continue' } as const;
const ORDERS = { 'stop-first': 'stop-first', 'start-first': 'start-first' } as const;

class FlagError extends Error {}

/** Unwraps a parse result inside applyServiceFlags. */
function get<T>(r: Result<T>): T {
  if (!r.ok) throw new FlagError(r.error);
  return r.value;
}

function words(flag: string, values: readonly string[]): string[] {
  return values.flatMap((v) => get(splitWords(flag, v)));
}

/** Applies the given update/rollback flags onto a copy of the config (schema defaults when there was none). */
function applyUpdateConfig(
  current: UpdateConfig | undefined,
  prefix: 'update' | 'rollback',
  f: { parallelism?: string | undefined; delay?: string | undefined; onFailure?: string | undefined; order?: string | undefined; monitor?: string | undefined; maxFailureRatio?: string | undefined },
): UpdateConfig | undefined {
  const given = Object.values(f).some((v) => v !== undefined);
  if (!given) return current;
  const c: UpdateConfig = { ...(current ?? UpdateConfigSchema.parse({})) };
  if (f.parallelism !== undefined) c.parallelism = get(parseUint(`${prefix}-parallelism`, f.parallelism));
  if (f.delay !== undefined) c.delayMs = get(parseDurationFlag(`${prefix}-delay`, f.delay));
  if (f.monitor !== undefined) c.monitorMs = get(parseDurationFlag(`${prefix}-monitor`, f.monitor));
  if (f.maxFailureRatio !== undefined) c.maxFailureRatio = get(parseRatio(`${prefix}-max-failure-ratio`, f.maxFailureRatio));
  if (f.onFailure !== undefined) {
    c.failureAction = prefix === 'update'
      ? get(parseChoice(`${prefix}-on-failure`, f.onFailure, FAILURE_ACTIONS))
      : get(parseChoice(`${prefix}-on-failure`, f.onFailure, ROLLBACK_FAILURE_ACTIONS));
  }
  if (f.order !== undefined) c.order = get(parseChoice(`${prefix}-order`, f.order, ORDERS));
  return c;
}

/** --health-* flags (Docker's names): --health-cmd runs through `CMD-SHELL`; --no-healthcheck disables the image's. */
function applyHealthFlags(ctr: ServiceSpec['task']['container'], f: ServiceFlags): void {
  const given = [f.healthCmd, f.healthInterval, f.healthTimeout, f.healthRetries, f.healthStartPeriod].some((v) => v !== undefined);
  if (f.noHealthcheck) {
    if (given) throw new FlagError('--no-healthcheck conflicts with --health-* options');
    ctr.healthcheck = { test: ['NONE'], intervalMs: 0, timeoutMs: 0, retries: 0, startPeriodMs: 0 };
    return;
  }
  if (!given) return;
  const h = { ...(ctr.healthcheck ?? { test: [], intervalMs: 0, timeoutMs: 0, retries: 0, startPeriodMs: 0 }) };
  if (f.healthCmd !== undefined) h.test = f.healthCmd === '' ? [] : ['CMD-SHELL', f.healthCmd];
  if (f.healthInterval !== undefined) h.intervalMs = get(parseDurationFlag('health-interval', f.healthInterval));
  if (f.healthTimeout !== undefined) h.timeoutMs = get(parseDurationFlag('health-timeout', f.healthTimeout));
  if (f.healthRetries !== undefined) h.retries = get(parseUint('health-retries', f.healthRetries));
  if (f.healthStartPeriod !== undefined) h.startPeriodMs = get(parseDurationFlag('health-start-period', f.healthStartPeriod));
  for (const [flag, ms] of [['health-interval', h.intervalMs], ['health-timeout', h.timeoutMs]] as const) {
    if (ms !== 0 && ms < 1) throw new FlagError(`--${flag} must be at least 1ms`);
  }
  if (h.test.length === 0) throw new FlagError('--health-cmd is required with --health-* options');
  ctr.healthcheck = h;
}

/**
 * Returns `base` with the given flags applied (a new object; `base` is not touched).
 * `create` enables the create-only flags (--mode).
 */
export function applyServiceFlags(base: ServiceSpec, flags: ServiceFlags, opts: { create?: boolean } = {}): Result<ServiceSpec> {
  try {
    return ok(apply(structuredClone(base), flags, opts.create ?? false));
  } catch (e) {
    if (e instanceof FlagError) return err(e.message);
    throw e;
  }
}

function apply(spec: ServiceSpec, f: ServiceFlags, create: boolean): ServiceSpec {
  if (f.name !== undefined) spec.annotations.name = f.name.trim();
  if (f.label !== undefined) spec.annotations.labels = get(parseKeyValues('label', f.label));

  // Mode, then replicas (which need a replicated mode).
  if (f.mode !== undefined) {
    if (!create) throw new FlagError('--mode can only be set when the service is created');
    const mode = get(parseChoice('mode', f.mode, MODES));
    if (mode === 'global' || mode === 'global-job') spec.mode = { kind: mode };
    else if (mode === 'replicated-job') spec.mode = { kind: 'replicated-job', maxConcurrent: 1, totalCompletions: 1 };
    else if (spec.mode.kind !== 'replicated') spec.mode = { kind: 'replicated', replicas: 1 };
  }
  if (f.maxConcurrent !== undefined || f.totalCompletions !== undefined) {
    if (spec.mode.kind !== 'replicated-job') throw new FlagError('--max-concurrent and --total-completions can only be specified in --mode replicated-job');
    const maxConcurrent = f.maxConcurrent !== undefined ? get(parseUint('max-concurrent', f.maxConcurrent)) : spec.mode.maxConcurrent;
    // SwarmKit's CLI: total completions default to max concurrent when only that is given.
    const totalCompletions = f.totalCompletions !== undefined ? get(parseUint('total-completions', f.totalCompletions)) : f.maxConcurrent !== undefined && create ? maxConcurrent : spec.mode.totalCompletions;
    spec.mode = { kind: 'replicated-job', maxConcurrent, totalCompletions };
  }
  if ((spec.mode.kind === 'replicated-job' || spec.mode.kind === 'global-job') && (f.updateParallelism ?? f.updateDelay ?? f.updateOnFailure ?? f.updateOrder ?? f.updateMonitor ?? f.updateMaxFailureRatio) !== undefined) {
    throw new FlagError('--update-* flags cannot be used with job modes (jobs may not have an update config)');
  }
  if (f.replicas !== undefined) {
    if (spec.mode.kind !== 'replicated') throw new FlagError('--replicas can only be specified in --mode replicated');
    spec.mode = { kind: 'replicated', replicas: get(parseUint('replicas', f.replicas)) };
  }

  // Container.
  const ctr = spec.task.container;
  if (f.image !== undefined) ctr.image = f.image.trim();
  if (f.hostname !== undefined) {
    if (f.hostname === '') delete ctr.hostname;
    else ctr.hostname = f.hostname;
  }
  if (f.command !== undefined) ctr.command = words('command', f.command);
  if (f.args !== undefined) ctr.args = words('args', f.args);
  if (f.env !== undefined) {
    ctr.env = f.env.filter((e) => e.length > 0);
    const bad = ctr.env.find((e) => !/^[^=]+=/.test(e));
    if (bad !== undefined) throw new FlagError(`malformed --env "${bad}": expected NAME=VALUE`);
  }

  applyHealthFlags(ctr, f);

  // Resources.
  const res = spec.task.resources;
  if (f.cpuReservation !== undefined) res.reservations = { ...res.reservations, nanoCpus: get(parseCpu('cpu-reservation', f.cpuReservation)) };
  if (f.memoryReservation !== undefined) res.reservations = { ...res.reservations, memoryBytes: get(parseMemory('memory-reservation', f.memoryReservation)) };
  if (f.cpuLimit !== undefined) res.limits = { ...res.limits, nanoCpus: get(parseCpu('cpu-limit', f.cpuLimit)) };
  if (f.memoryLimit !== undefined) res.limits = { ...res.limits, memoryBytes: get(parseMemory('memory-limit', f.memoryLimit)) };

  // Restart policy: only touched when a restart flag is given; an absent policy means "any" with defaults.
  const restartGiven = [f.restartCondition, f.restartDelay, f.restartMaxAttempts, f.restartWindow].some((v) => v !== undefined);
  if (restartGiven) {
    const r: RestartPolicy = { ...(spec.task.restart ?? RestartPolicySchema.parse({})) };
    if (f.restartCondition !== undefined) r.condition = get(parseChoice('restart-condition', f.restartCondition, RESTART_CONDITIONS, ['any', 'on-failure', 'none']));
    if (f.restartDelay !== undefined) r.delayMs = get(parseDurationFlag('restart-delay', f.restartDelay));
    if (f.restartMaxAttempts !== undefined) r.maxAttempts = get(parseUint('restart-max-attempts', f.restartMaxAttempts));
    if (f.restartWindow !== undefined) r.windowMs = get(parseDurationFlag('restart-window', f.restartWindow));
    spec.task.restart = r;
  }

  // Update and rollback configs.
  const update = applyUpdateConfig(spec.update, 'update', {
    parallelism: f.updateParallelism, delay: f.updateDelay, onFailure: f.updateOnFailure, order: f.updateOrder,
    monitor: f.updateMonitor, maxFailureRatio: f.updateMaxFailureRatio,
  });
  if (update) spec.update = update;
  const rollback = applyUpdateConfig(spec.rollback, 'rollback', {
    parallelism: f.rollbackParallelism, delay: f.rollbackDelay, onFailure: f.rollbackOnFailure, order: f.rollbackOrder,
    monitor: f.rollbackMonitor, maxFailureRatio: f.rollbackMaxFailureRatio,
  });
  if (rollback) spec.rollback = rollback;

  // Placement.
  if (f.constraint !== undefined) {
    const constraints = splitCommas(f.constraint);
    for (const c of constraints) {
      const e = validateConstraint(c);
      if (e) throw new FlagError(`invalid --constraint: ${e}`);
    }
    spec.task.placement = { ...spec.task.placement, constraints };
  }
  if (f.placementPref !== undefined) spec.task.placement = { ...spec.task.placement, preferences: f.placementPref.filter(Boolean).map(parsePlacementPref) };
  if (f.genericResources !== undefined) res.reservations = { ...res.reservations, generic: parseGeneric(f.genericResources) };
  if (f.replicasMaxPerNode !== undefined) {
    if (spec.mode.kind !== 'replicated') throw new FlagError('--replicas-max-per-node can only be specified in --mode replicated');
    spec.task.placement = { ...spec.task.placement, maxReplicas: get(parseUint('replicas-max-per-node', f.replicasMaxPerNode)) };
  }
  return spec;
}

/** `--placement-pref spread=node.labels.zone` (repeatable; nested in the order given). */
function parsePlacementPref(v: string): { spread: string } {
  const i = v.indexOf('=');
  const strategy = i < 0 ? '' : v.slice(0, i).trim().toLowerCase();
  if (strategy !== 'spread') throw new FlagError(`invalid --placement-pref "${v}": expected spread=<descriptor>, e.g. spread=node.labels.zone`);
  const spread = v.slice(i + 1).trim();
  const e = validateSpreadDescriptor(spread);
  if (e) throw new FlagError(`invalid --placement-pref: ${e}`);
  return { spread };
}

/** `--generic-resources gpu=2,fpga=1` (repeatable): discrete resources each task reserves. `""` clears. */
function parseGeneric(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of splitCommas(values)) {
    const m = /^([a-zA-Z0-9][a-zA-Z0-9_.-]*)=(\d+)$/.exec(part.trim());
    if (!m) throw new FlagError(`invalid --generic-resources "${part}": expected NAME=COUNT, e.g. gpu=2`);
    out[m[1]!] = get(parseUint('generic-resources', m[2]!));
  }
  return out;
}

/** Deep equality of plain JSON data, ignoring key order and `undefined` members. */
export function sameSpec(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

