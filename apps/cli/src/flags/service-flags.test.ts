import { describe, expect, it } from 'vitest';
import { type ServiceSpec, ServiceSpecInput, ServiceSpecSchema } from '@swarm/shared';
import { type ServiceFlags, applyServiceFlags, newServiceSpec, sameSpec } from './service-flags.js';

const base = (over: Partial<ServiceFlags> = {}): ServiceSpec => {
  const r = applyServiceFlags(newServiceSpec(), { name: 'web', image: 'nginx', ...over }, { create: true });
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

const apply = (flags: ServiceFlags, from: ServiceSpec = base(), create = false) => applyServiceFlags(from, flags, { create });
const value = (flags: ServiceFlags, from?: ServiceSpec, create?: boolean): ServiceSpec => {
  const r = apply(flags, from, create);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe('newServiceSpec', () => {
  it('is replicated with one replica and every default filled in', () => {
    const s = newServiceSpec();
    expect(s.mode).toEqual({ kind: 'replicated', replicas: 1 });
    expect(s.task.container).toMatchObject({ image: '', command: [], args: [], env: [] });
    expect(s.task.restart).toBeUndefined();
    expect(s.update).toBeUndefined();
    expect(ServiceSpecSchema.parse(s)).toEqual(s);
  });
});

describe('applyServiceFlags: each flag sets its field', () => {
  const cases: { name: string; flags: ServiceFlags; pick: (s: ServiceSpec) => unknown; want: unknown; create?: boolean }[] = [
    { name: '--name', flags: { name: 'api' }, pick: (s) => s.annotations.name, want: 'api' },
    { name: '--name trims', flags: { name: '  api ' }, pick: (s) => s.annotations.name, want: 'api' },
    { name: '--image', flags: { image: 'redis:7' }, pick: (s) => s.task.container.image, want: 'redis:7' },
    { name: '--hostname', flags: { hostname: 'h1' }, pick: (s) => s.task.container.hostname, want: 'h1' },
    { name: '--replicas', flags: { replicas: '5' }, pick: (s) => s.mode, want: { kind: 'replicated', replicas: 5 } },
    { name: '--replicas 0', flags: { replicas: '0' }, pick: (s) => s.mode, want: { kind: 'replicated', replicas: 0 } },
    { name: '--mode global', flags: { mode: 'global' }, pick: (s) => s.mode, want: { kind: 'global' }, create: true },
    { name: '--mode replicated keeps replicas', flags: { mode: 'replicated' }, pick: (s) => s.mode, want: { kind: 'replicated', replicas: 1 }, create: true },
    { name: '--mode replicated --replicas 3', flags: { mode: 'Replicated', replicas: '3' }, pick: (s) => s.mode, want: { kind: 'replicated', replicas: 3 }, create: true },
    { name: '--command splits on whitespace', flags: { command: ['sleep  100'] }, pick: (s) => s.task.container.command, want: ['sleep', '100'] },
    { name: '--command keeps quoted words', flags: { command: [`sh -c 'echo hi; sleep 1'`] }, pick: (s) => s.task.container.command, want: ['sh', '-c', 'echo hi; sleep 1'] },
    { name: '--command repeated appends', flags: { command: ['sh', '-c'] }, pick: (s) => s.task.container.command, want: ['sh', '-c'] },
    { name: '--command keeps commas', flags: { command: ['echo a,b'] }, pick: (s) => s.task.container.command, want: ['echo', 'a,b'] },
    { name: '--command "" clears', flags: { command: [''] }, pick: (s) => s.task.container.command, want: [] },
    { name: '--args', flags: { args: ['-c', '"echo hi"'] }, pick: (s) => s.task.container.args, want: ['-c', 'echo hi'] },
    { name: '--args escaped space', flags: { args: ['a\\ b c'] }, pick: (s) => s.task.container.args, want: ['a b', 'c'] },
    { name: '--env', flags: { env: ['A=1', 'B=x,y', 'C='] }, pick: (s) => s.task.container.env, want: ['A=1', 'B=x,y', 'C='] },
    { name: '--label', flags: { label: ['a=1,b=2', ' c = 3 ', 'd=x=y'] }, pick: (s) => s.annotations.labels, want: { a: '1', b: '2', c: '3', d: 'x=y' } },
    { name: '--constraint', flags: { constraint: ['node.role==manager', 'node.labels.a==b,node.hostname!=x'] }, pick: (s) => s.task.placement.constraints, want: ['node.role==manager', 'node.labels.a==b', 'node.hostname!=x'] },
    { name: '--replicas-max-per-node', flags: { replicasMaxPerNode: '2' }, pick: (s) => s.task.placement.maxReplicas, want: 2 },
    { name: '--cpu-reservation', flags: { cpuReservation: '0.5' }, pick: (s) => s.task.resources.reservations.nanoCpus, want: 500_000_000 },
    { name: '--memory-reservation', flags: { memoryReservation: '512m' }, pick: (s) => s.task.resources.reservations.memoryBytes, want: 512 * 1024 * 1024 },
    { name: '--cpu-limit', flags: { cpuLimit: '2' }, pick: (s) => s.task.resources.limits.nanoCpus, want: 2e9 },
    { name: '--memory-limit', flags: { memoryLimit: '1g' }, pick: (s) => s.task.resources.limits.memoryBytes, want: 1024 ** 3 },
    { name: '--restart-condition on-failure', flags: { restartCondition: 'on-failure' }, pick: (s) => s.task.restart, want: { condition: 'on-failure', delayMs: 5000, maxAttempts: 0, windowMs: 0 } },
    { name: '--restart-condition failure (swarmctl spelling)', flags: { restartCondition: 'failure' }, pick: (s) => s.task.restart?.condition, want: 'on-failure' },
    { name: '--restart-condition none', flags: { restartCondition: 'NONE' }, pick: (s) => s.task.restart?.condition, want: 'none' },
    { name: '--restart-delay', flags: { restartDelay: '1m30s' }, pick: (s) => s.task.restart, want: { condition: 'any', delayMs: 90_000, maxAttempts: 0, windowMs: 0 } },
    { name: '--restart-max-attempts', flags: { restartMaxAttempts: '3' }, pick: (s) => s.task.restart?.maxAttempts, want: 3 },
    { name: '--restart-window', flags: { restartWindow: '10s' }, pick: (s) => s.task.restart?.windowMs, want: 10_000 },
    { name: '--update-parallelism', flags: { updateParallelism: '2' }, pick: (s) => s.update, want: { parallelism: 2, delayMs: 0, failureAction: 'pause', monitorMs: 5000, maxFailureRatio: 0, order: 'stop-first' } },
    { name: '--update-delay', flags: { updateDelay: '10s' }, pick: (s) => s.update?.delayMs, want: 10_000 },
    { name: '--update-on-failure rollback', flags: { updateOnFailure: 'rollback' }, pick: (s) => s.update?.failureAction, want: 'rollback' },
    { name: '--update-order start-first', flags: { updateOrder: 'start-first' }, pick: (s) => s.update?.order, want: 'start-first' },
    { name: '--update-monitor', flags: { updateMonitor: '30s' }, pick: (s) => s.update?.monitorMs, want: 30_000 },
    { name: '--update-max-failure-ratio', flags: { updateMaxFailureRatio: '0.25' }, pick: (s) => s.update?.maxFailureRatio, want: 0.25 },
    { name: '--rollback-parallelism', flags: { rollbackParallelism: '0' }, pick: (s) => s.rollback?.parallelism, want: 0 },
    { name: '--rollback-on-failure continue', flags: { rollbackOnFailure: 'continue' }, pick: (s) => s.rollback?.failureAction, want: 'continue' },
    { name: '--rollback-order', flags: { rollbackOrder: 'start-first' }, pick: (s) => s.rollback?.order, want: 'start-first' },
  ];
  it.each(cases)('$name', ({ flags, pick, want, create }) => {
    expect(pick(value(flags, base(), create))).toEqual(want);
  });
});

describe('applyServiceFlags: errors name the flag', () => {
  const cases: { name: string; flags: ServiceFlags; from?: ServiceSpec; create?: boolean; error: RegExp }[] = [
    { name: 'negative replicas', flags: { replicas: '-1' }, error: /--replicas.*non-negative integer/ },
    { name: 'fractional replicas', flags: { replicas: '1.5' }, error: /--replicas/ },
    { name: 'word replicas', flags: { replicas: 'three' }, error: /--replicas/ },
    { name: 'replicas on global', flags: { replicas: '2' }, from: base({ mode: 'global' }), error: /--replicas can only be specified in --mode replicated/ },
    { name: 'global --replicas at create', flags: { mode: 'global', replicas: '2' }, create: true, error: /--replicas can only be specified in --mode replicated/ },
    { name: 'unknown mode', flags: { mode: 'daemon' }, create: true, error: /--mode: use replicated, global, replicated-job or global-job/ },
    { name: 'mode on update', flags: { mode: 'global' }, error: /--mode can only be set when the service is created/ },
    { name: 'malformed label', flags: { label: ['novalue'] }, error: /malformed --label "novalue"/ },
    { name: 'malformed env', flags: { env: ['NOVALUE'] }, error: /malformed --env "NOVALUE"/ },
    { name: 'unterminated quote', flags: { command: [`sh -c 'oops`] }, error: /--command: unterminated ' quote/ },
    { name: 'bad restart condition', flags: { restartCondition: 'always' }, error: /--restart-condition: use any, on-failure or none/ },
    { name: 'bad restart delay', flags: { restartDelay: '5' }, error: /--restart-delay: invalid duration "5"/ },
    { name: 'bad restart window', flags: { restartWindow: 'soon' }, error: /--restart-window/ },
    { name: 'negative max attempts', flags: { restartMaxAttempts: '-2' }, error: /--restart-max-attempts/ },
    { name: 'bad update action', flags: { updateOnFailure: 'explode' }, error: /--update-on-failure: use pause, continue or rollback/ },
    { name: 'rollback cannot roll back', flags: { rollbackOnFailure: 'rollback' }, error: /--rollback-on-failure: use pause or continue/ },
    { name: 'bad order', flags: { updateOrder: 'random' }, error: /--update-order: use stop-first or start-first/ },
    { name: 'ratio over 1', flags: { updateMaxFailureRatio: '1.5' }, error: /--update-max-failure-ratio/ },
    { name: 'bad cpu', flags: { cpuReservation: 'lots' }, error: /--cpu-reservation/ },
    { name: 'too precise cpu', flags: { cpuLimit: '0.0000000001' }, error: /more than 9 decimal places/ },
    { name: 'bad memory', flags: { memoryReservation: '12 parsecs' }, error: /--memory-reservation/ },
    { name: 'max per node on global', flags: { replicasMaxPerNode: '1' }, from: base({ mode: 'global' }), error: /--replicas-max-per-node can only be specified in --mode replicated/ },
  ];
  it.each(cases)('$name', ({ flags, from, create, error }) => {
    const r = apply(flags, from ?? base(), create);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });
});

describe('applyServiceFlags: only given flags change anything', () => {
  const rich = value(
    {
      label: ['tier=web'], env: ['A=1'], command: ['nginx -g "daemon off;"'], args: ['--x'], constraint: ['node.role==manager'],
      restartCondition: 'none', restartDelay: '2s', updateParallelism: '3', updateOrder: 'start-first', rollbackDelay: '1s',
      cpuReservation: '0.25', memoryLimit: '256m', hostname: 'web-host', replicasMaxPerNode: '2',
    },
    base({ replicas: '4' }),
  );

  it('no flags → the same spec', () => {
    expect(value({}, rich)).toEqual(rich);
    expect(sameSpec(value({}, rich), rich)).toBe(true);
  });

  it('--replicas leaves everything else alone', () => {
    const next = value({ replicas: '7' }, rich);
    expect(next.mode).toEqual({ kind: 'replicated', replicas: 7 });
    expect({ ...next, mode: rich.mode }).toEqual(rich);
  });

  it('--restart-delay keeps the other restart settings', () => {
    expect(value({ restartDelay: '9s' }, rich).task.restart).toEqual({ condition: 'none', delayMs: 9000, maxAttempts: 0, windowMs: 0 });
  });

  it('--update-delay keeps parallelism and order', () => {
    expect(value({ updateDelay: '4s' }, rich).update).toMatchObject({ parallelism: 3, order: 'start-first', delayMs: 4000 });
  });

  it('--memory-reservation keeps the CPU reservation', () => {
    expect(value({ memoryReservation: '64m' }, rich).task.resources.reservations).toEqual({ nanoCpus: 250_000_000, memoryBytes: 64 * 1024 ** 2, generic: {} });
  });

  it('a given list flag replaces (labels, env, constraints)', () => {
    const next = value({ label: ['x=y'], env: ['B=2'], constraint: ['node.labels.z==1'] }, rich);
    expect(next.annotations.labels).toEqual({ x: 'y' });
    expect(next.task.container.env).toEqual(['B=2']);
    expect(next.task.placement.constraints).toEqual(['node.labels.z==1']);
  });

  it('does not touch the spec it was given', () => {
    const before = structuredClone(rich);
    value({ replicas: '1', label: ['q=r'], restartCondition: 'any', memoryReservation: '8m' }, rich);
    expect(rich).toEqual(before);
  });

  it('--hostname "" removes the hostname', () => {
    expect(value({ hostname: '' }, rich).task.container.hostname).toBeUndefined();
  });

  it('setting a value to what it already is → no change', () => {
    expect(sameSpec(value({ replicas: '4', image: 'nginx', label: ['tier=web'] }, rich), rich)).toBe(true);
  });

  it('the result is a valid API input', () => {
    expect(ServiceSpecInput.safeParse(rich).success).toBe(true);
  });
});

describe('sameSpec', () => {
  it.each([
    [{ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, true],
    [{ a: 1, c: undefined }, { a: 1 }, true],
    [{ a: [1, 2] }, { a: [2, 1] }, false],
    [{ a: { b: 1 } }, { a: { b: 2 } }, false],
  ])('%j vs %j → %s', (a, b, want) => {
    expect(sameSpec(a, b)).toBe(want);
  });
});

describe('applyServiceFlags: job modes, health checks (issue 6)', () => {
  it('--mode replicated-job with --max-concurrent / --total-completions (total defaults to max-concurrent)', () => {
    expect(value({ mode: 'replicated-job', maxConcurrent: '3' }, newServiceSpec(), true).mode).toEqual({ kind: 'replicated-job', maxConcurrent: 3, totalCompletions: 3 });
    expect(value({ mode: 'replicated-job', maxConcurrent: '2', totalCompletions: '10' }, newServiceSpec(), true).mode).toEqual({ kind: 'replicated-job', maxConcurrent: 2, totalCompletions: 10 });
    expect(value({ mode: 'global-job' }, newServiceSpec(), true).mode).toEqual({ kind: 'global-job' });
  });

  it('refuses job flags outside replicated-job, update flags on jobs, replicas with global', () => {
    expect(apply({ maxConcurrent: '2' })).toEqual({ ok: false, error: '--max-concurrent and --total-completions can only be specified in --mode replicated-job' });
    expect(apply({ mode: 'global-job', updateParallelism: '2' }, newServiceSpec(), true)).toMatchObject({ ok: false, error: expect.stringMatching(/jobs may not have an update config/) });
    expect(apply({ mode: 'global', replicas: '3' }, newServiceSpec(), true)).toMatchObject({ ok: false, error: '--replicas can only be specified in --mode replicated' });
    expect(apply({ mode: 'bogus' }, newServiceSpec(), true)).toMatchObject({ ok: false });
  });

  it('--health-* flags build a CMD-SHELL health check; --no-healthcheck disables the image one', () => {
    const s = value({ healthCmd: 'test -f /ok', healthInterval: '2s', healthTimeout: '1s', healthRetries: '3', healthStartPeriod: '5s' });
    expect(s.task.container.healthcheck).toEqual({ test: ['CMD-SHELL', 'test -f /ok'], intervalMs: 2000, timeoutMs: 1000, retries: 3, startPeriodMs: 5000 });
    expect(value({ noHealthcheck: true }).task.container.healthcheck?.test).toEqual(['NONE']);
    expect(apply({ healthInterval: '2s' })).toMatchObject({ ok: false, error: '--health-cmd is required with --health-* options' });
    expect(apply({ healthCmd: 'x', healthInterval: 'soon' })).toMatchObject({ ok: false });
    expect(apply({ noHealthcheck: true, healthCmd: 'x' })).toMatchObject({ ok: false });
  });

  it('update/rollback flags: bad durations and ratios are refused with the flag name', () => {
    expect(apply({ updateDelay: '5 parsecs' })).toMatchObject({ ok: false, error: expect.stringContaining('update-delay') });
    expect(apply({ updateMaxFailureRatio: '1.5' })).toMatchObject({ ok: false, error: expect.stringContaining('update-max-failure-ratio') });
    expect(apply({ rollbackParallelism: '-1' })).toMatchObject({ ok: false, error: expect.stringContaining('rollback-parallelism') });
    expect(value({ updateMonitor: '2s', updateOrder: 'start-first', updateOnFailure: 'rollback' }).update).toMatchObject({ monitorMs: 2000, order: 'start-first', failureAction: 'rollback' });
  });

  it('the API schema refuses global mode with replicas, ratios outside 0–1 and negative parallelism', () => {
    const spec = { ...base(), mode: { kind: 'global', replicas: 3 } };
    const r = ServiceSpecInput.safeParse(spec);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe('replicas cannot be used with global mode');
    const bad = ServiceSpecInput.safeParse({ ...base(), update: { parallelism: -1, delayMs: 0, failureAction: 'pause', monitorMs: 0, maxFailureRatio: 2, order: 'stop-first' } });
    expect(bad.error?.issues.map((i) => i.message).sort()).toEqual(['max failure ratio must be between 0 and 1', 'parallelism must be 0 or more']);
  });
});
