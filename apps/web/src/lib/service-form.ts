/**
 * The service form's model, pure: form values (all strings, as the inputs hold
 * them) ↔ a `ServiceSpecInput`, validated with the API's own zod schema plus
 * Go-style duration parsing, with every error keyed by the form field it is
 * about. An edit starts from the service's spec and changes only what the form
 * shows, so fields the form lacks (env, resources, placement, ports) survive.
 */
import {
  ServiceSpecInput, formatDuration, parseDuration,
  type RestartPolicy, type ServiceMode, type ServiceSpec, type UpdateConfig,
} from '@swarm/shared';
import { splitArgs } from './argv';
import { issuesToFieldErrors, type FieldErrors } from './field-errors';
import { sameJson } from './same-json';
import { DEFAULT_RESTART, DEFAULT_UPDATE } from './spec-defaults';

export type ConfigKey = 'parallelism' | 'delay' | 'failureAction' | 'monitor' | 'maxFailureRatio' | 'order';
export const CONFIG_KEYS: readonly ConfigKey[] = ['parallelism', 'delay', 'failureAction', 'monitor', 'maxFailureRatio', 'order'];
type ConfigField = `update.${ConfigKey}` | `rollback.${ConfigKey}`;

export type ServiceField =
  | 'name' | 'image' | 'command' | 'args'
  | 'mode' | 'replicas' | 'maxConcurrent' | 'totalCompletions'
  | 'restartCondition' | 'restartDelay' | 'restartMaxAttempts' | 'restartWindow'
  | ConfigField;

export type ServiceFormValues = Record<ServiceField, string>;
export type ModeKind = ServiceMode['kind'];
export const MODE_KINDS: readonly ModeKind[] = ['replicated', 'global', 'replicated-job', 'global-job'];
export const isJobMode = (kind: string): boolean => kind === 'replicated-job' || kind === 'global-job';

export const DEFAULT_IMAGE = 'local/busybox:1';

/** Milliseconds as a duration that parses back to exactly the same value ("1500ms", not "2s"). */
export const exactDuration = (ms: number): string => (ms % 1000 === 0 ? formatDuration(ms) : `${ms}ms`);

function configValues(prefix: 'update' | 'rollback', c: UpdateConfig): Record<ConfigField, string> {
  const out: Partial<Record<ConfigField, string>> = {};
  out[`${prefix}.parallelism`] = String(c.parallelism);
  out[`${prefix}.delay`] = exactDuration(c.delayMs);
  out[`${prefix}.failureAction`] = c.failureAction;
  out[`${prefix}.monitor`] = exactDuration(c.monitorMs);
  out[`${prefix}.maxFailureRatio`] = String(c.maxFailureRatio);
  out[`${prefix}.order`] = c.order;
  return out as Record<ConfigField, string>;
}

/** The form's values for a spec (or a new service's defaults). */
export function formValues(spec?: ServiceSpec): ServiceFormValues {
  const m = spec?.mode;
  const r = spec?.task.restart ?? DEFAULT_RESTART;
  const c = spec?.task.container;
  return {
    name: spec?.annotations.name ?? '',
    image: c?.image ?? DEFAULT_IMAGE,
    command: c ? c.command.join(' ') : '',
    args: c ? c.args.join(' ') : '',
    mode: m?.kind ?? 'replicated',
    replicas: String(m?.kind === 'replicated' ? m.replicas : 1),
    maxConcurrent: String(m?.kind === 'replicated-job' ? m.maxConcurrent : 1),
    totalCompletions: String(m?.kind === 'replicated-job' ? m.totalCompletions : 1),
    restartCondition: r.condition,
    restartDelay: exactDuration(r.delayMs),
    restartMaxAttempts: String(r.maxAttempts),
    restartWindow: exactDuration(r.windowMs),
    ...configValues('update', spec?.update ?? DEFAULT_UPDATE),
    ...configValues('rollback', spec?.rollback ?? DEFAULT_UPDATE),
  };
}

/** Spec paths (as zod and the API name them, with or without `spec.`) → form fields. Specific paths first. */
export const FIELD_BY_PATH: Record<string, ServiceField> = (() => {
  const paths: [string, ServiceField][] = [
    ['annotations.name', 'name'],
    ['task.container.image', 'image'],
    ['task.container.command', 'command'],
    ['task.container.args', 'args'],
    ['mode.replicas', 'replicas'],
    ['mode.maxConcurrent', 'maxConcurrent'],
    ['mode.totalCompletions', 'totalCompletions'],
    ['mode', 'mode'],
    ['task.restart.condition', 'restartCondition'],
    ['task.restart.delayMs', 'restartDelay'],
    ['task.restart.maxAttempts', 'restartMaxAttempts'],
    ['task.restart.windowMs', 'restartWindow'],
  ];
  const specKey: Record<ConfigKey, string> = { parallelism: 'parallelism', delay: 'delayMs', failureAction: 'failureAction', monitor: 'monitorMs', maxFailureRatio: 'maxFailureRatio', order: 'order' };
  for (const prefix of ['update', 'rollback'] as const) for (const k of CONFIG_KEYS) paths.push([`${prefix}.${specKey[k]}`, `${prefix}.${k}`]);
  const out: Record<string, ServiceField> = {};
  for (const [path, field] of paths) {
    out[`spec.${path}`] = field;
    out[path] = field;
  }
  return out;
})();

const number = (s: string): number => (s.trim() === '' ? Number.NaN : Number(s));

interface Parsed {
  errors: FieldErrors<ServiceField>;
  duration(field: ServiceField): number;
}

function parser(v: ServiceFormValues): Parsed {
  const errors: FieldErrors<ServiceField> = {};
  return {
    errors,
    duration(field) {
      const r = parseDuration(v[field]);
      if (r.ok) return r.value;
      errors[field] = r.error;
      return 0;
    },
  };
}

function modeOf(v: ServiceFormValues): ServiceMode {
  switch (v.mode as ModeKind) {
    case 'global':
      return { kind: 'global' };
    case 'global-job':
      return { kind: 'global-job' };
    case 'replicated-job':
      return { kind: 'replicated-job', maxConcurrent: number(v.maxConcurrent), totalCompletions: number(v.totalCompletions) };
    default:
      return { kind: 'replicated', replicas: number(v.replicas) };
  }
}

function configOf(prefix: 'update' | 'rollback', v: ServiceFormValues, p: Parsed): UpdateConfig {
  return {
    parallelism: number(v[`${prefix}.parallelism`]),
    delayMs: p.duration(`${prefix}.delay`),
    failureAction: v[`${prefix}.failureAction`] as UpdateConfig['failureAction'],
    monitorMs: p.duration(`${prefix}.monitor`),
    maxFailureRatio: number(v[`${prefix}.maxFailureRatio`]),
    order: v[`${prefix}.order`] as UpdateConfig['order'],
  };
}

export interface SpecResult {
  spec: ServiceSpecInput;
  errors: FieldErrors<ServiceField>;
  ok: boolean;
}

/**
 * The spec the form describes, on top of `base` (the service being edited).
 * Restart, update and rollback configs are written only when the base had one
 * or the form differs from the defaults, so an untouched edit changes nothing.
 */
export function toSpec(v: ServiceFormValues, base?: ServiceSpec): SpecResult {
  const p = parser(v);
  const restart: RestartPolicy = {
    condition: v.restartCondition as RestartPolicy['condition'],
    delayMs: p.duration('restartDelay'),
    maxAttempts: number(v.restartMaxAttempts),
    windowMs: p.duration('restartWindow'),
  };
  const update = configOf('update', v, p);
  const rollback = configOf('rollback', v, p);
  const job = isJobMode(v.mode);
  const keep = <T>(value: T, had: T | undefined, dflt: T) => had !== undefined || !sameJson(value, dflt);

  const { restart: _r, ...baseTask } = base?.task ?? { container: { image: '', command: [], args: [], env: [] } };
  const { update: _u, rollback: _b, ...baseSpec } = base ?? {};
  const spec: ServiceSpecInput = {
    ...baseSpec,
    annotations: { labels: {}, ...base?.annotations, name: v.name.trim() },
    task: {
      ...baseTask,
      container: { ...baseTask.container, image: v.image.trim(), command: splitArgs(v.command), args: splitArgs(v.args) },
      ...(keep(restart, base?.task.restart, DEFAULT_RESTART) ? { restart } : {}),
    },
    mode: modeOf(v),
    ...(!job && keep(update, base?.update, DEFAULT_UPDATE) ? { update } : {}),
    ...(!job && keep(rollback, base?.rollback, DEFAULT_UPDATE) ? { rollback } : {}),
  };
  // The API's schema: most mistakes never leave the tab. Duration errors win over zod's for the same field.
  const parsed = ServiceSpecInput.safeParse(spec);
  const errors = { ...(parsed.success ? {} : issuesToFieldErrors(parsed.error.issues, FIELD_BY_PATH)), ...p.errors };
  return { spec, errors, ok: Object.keys(errors).length === 0 };
}
