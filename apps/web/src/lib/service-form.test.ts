import { describe, expect, it } from 'vitest';
import { ServiceSpecSchema, type ServiceSpec } from '@swarm/shared';
import { exactDuration, formValues, toSpec, type ServiceFormValues } from './service-form';
import { sameJson } from './same-json';

const base: ServiceSpec = ServiceSpecSchema.parse({
  annotations: { name: 'web', labels: { team: 'a' } },
  task: { container: { image: 'local/busybox:1', command: ['sleep'], args: ['3600'], env: ['A=1'] } },
  mode: { kind: 'replicated', replicas: 3 },
});
const edit = (v: Partial<ServiceFormValues>, spec: ServiceSpec = base) => toSpec({ ...formValues(spec), ...v }, spec);

describe('service form', () => {
  it('an untouched edit gives back the same spec (no restart/update/rollback config added)', () => {
    const r = edit({});
    expect(r.ok).toBe(true);
    expect(sameJson(r.spec, base)).toBe(true);
    expect(r.spec.task.restart).toBeUndefined();
    expect(r.spec.update).toBeUndefined();
  });

  it('keeps fields the form does not show (env, labels)', () => {
    const r = edit({ image: 'local/busybox:2' });
    expect(r.spec.task.container.env).toEqual(['A=1']);
    expect(r.spec.annotations.labels).toEqual({ team: 'a' });
    expect(r.spec.task.container.image).toBe('local/busybox:2');
  });

  it('writes restart, update and rollback configs with durations in ms', () => {
    const r = edit({ restartCondition: 'on-failure', restartDelay: '1m30s', restartMaxAttempts: '3', 'update.parallelism': '2', 'update.delay': '500ms', 'update.failureAction': 'rollback', 'rollback.order': 'start-first' });
    expect(r.ok).toBe(true);
    expect(r.spec.task.restart).toEqual({ condition: 'on-failure', delayMs: 90_000, maxAttempts: 3, windowMs: 0 });
    expect(r.spec.update).toMatchObject({ parallelism: 2, delayMs: 500, failureAction: 'rollback', monitorMs: 5000, order: 'stop-first' });
    expect(r.spec.rollback).toMatchObject({ order: 'start-first', parallelism: 1 });
  });

  it('round-trips a spec through the form values exactly', () => {
    const r1 = edit({ 'update.delay': '1500ms', 'update.maxFailureRatio': '0.25' });
    const spec = ServiceSpecSchema.parse(r1.spec);
    expect(formValues(spec)['update.delay']).toBe('1500ms');
    expect(sameJson(toSpec(formValues(spec), spec).spec, spec)).toBe(true);
    expect(exactDuration(90_000)).toBe('1m30s');
  });

  it('names the field of every mistake', () => {
    const r = edit({ replicas: '-1', restartDelay: 'soon', 'update.maxFailureRatio': '1.5', 'rollback.parallelism': '-2', name: 'bad name!' });
    expect(r.ok).toBe(false);
    expect(r.errors.replicas).toMatch(/0 or more/);
    expect(r.errors.restartDelay).toMatch(/invalid duration "soon"/);
    expect(r.errors['update.maxFailureRatio']).toMatch(/between 0 and 1/);
    expect(r.errors['rollback.parallelism']).toMatch(/0 or more/);
    expect(r.errors.name).toMatch(/invalid name/);
    expect(r.errors.form).toBeUndefined();
  });

  it('modes: global has no replicas, jobs have counts and no update config', () => {
    const g = toSpec({ ...formValues(), name: 'g', mode: 'global', 'update.parallelism': '2' });
    expect(g.ok).toBe(true);
    expect(g.spec.mode).toEqual({ kind: 'global' });
    expect(g.spec.update?.parallelism).toBe(2);
    const j = toSpec({ ...formValues(), name: 'j', mode: 'replicated-job', maxConcurrent: '2', totalCompletions: '6', 'update.parallelism': '2' });
    expect(j.ok).toBe(true);
    expect(j.spec.mode).toEqual({ kind: 'replicated-job', maxConcurrent: 2, totalCompletions: 6 });
    expect(j.spec.update).toBeUndefined();
    const bad = toSpec({ ...formValues(), name: 'j', mode: 'replicated-job', maxConcurrent: '', totalCompletions: '-1' });
    expect(Object.keys(bad.errors).sort()).toEqual(['maxConcurrent', 'totalCompletions']);
  });
});
