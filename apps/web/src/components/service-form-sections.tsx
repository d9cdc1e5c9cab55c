'use client';
import type { ReactNode } from 'react';
import type { FieldErrors } from '../lib/field-errors';
import { MODE_KINDS, isJobMode, type ConfigKey, type ServiceField, type ServiceFormValues } from '../lib/service-form';
import { FormField } from './form-field';

export interface SectionProps {
  values: ServiceFormValues;
  errors: FieldErrors<ServiceField>;
  set(field: ServiceField, value: string): void;
  /** Editing an existing service: the mode kind cannot change (the API refuses it). */
  editing: boolean;
}

type InputKind = 'text' | 'mono' | 'number' | 'ratio';

/** A text or number input bound to one form field. */
export function Input({ label, field, kind = 'text', hint, p, ...rest }: { label: string; field: ServiceField; kind?: InputKind; hint?: string; p: SectionProps; autoFocus?: boolean; disabled?: boolean }) {
  const numeric = kind === 'number' || kind === 'ratio';
  return (
    <FormField label={label} error={p.errors[field]} {...(hint ? { hint } : {})}>
      {(fp) => (
        <input
          {...fp}
          {...rest}
          className={`input${kind === 'mono' ? ' input--mono' : ''}${numeric ? ' input--narrow' : ''}`}
          name={field}
          autoComplete="off"
          spellCheck={false}
          {...(numeric ? { type: 'number', min: 0, step: kind === 'ratio' ? 0.05 : 1, inputMode: kind === 'ratio' ? 'decimal' : 'numeric' } : {})}
          value={p.values[field]}
          onChange={(e) => p.set(field, e.target.value)}
        />
      )}
    </FormField>
  );
}

function Select({ label, field, options, p, disabled }: { label: string; field: ServiceField; options: readonly (readonly [string, string])[]; p: SectionProps; disabled?: boolean }) {
  return (
    <FormField label={label} error={p.errors[field]}>
      {(fp) => (
        <select {...fp} className="input" name={field} value={p.values[field]} disabled={disabled} onChange={(e) => p.set(field, e.target.value)}>
          {options.map(([value, text]) => (
            <option key={value} value={value}>
              {text}
            </option>
          ))}
        </select>
      )}
    </FormField>
  );
}

function Section({ legend, children, testId }: { legend: string; children: ReactNode; testId: string }) {
  return (
    <fieldset className="form__section" data-testid={testId}>
      <legend>{legend}</legend>
      <div className="form__grid form__grid--sub">{children}</div>
    </fieldset>
  );
}

const MODE_TEXT: Record<string, string> = { replicated: 'replicated', global: 'global', 'replicated-job': 'replicated job', 'global-job': 'global job' };

export function ModeSection({ p }: { p: SectionProps }) {
  const kind = p.values.mode;
  return (
    <Section legend="Mode" testId="section-mode">
      <Select label="Mode" field="mode" options={MODE_KINDS.map((k) => [k, MODE_TEXT[k] ?? k] as const)} p={p} disabled={p.editing} />
      {kind === 'replicated' && <Input label="Replicas" field="replicas" kind="number" p={p} />}
      {kind === 'replicated-job' && (
        <>
          <Input label="Max concurrent" field="maxConcurrent" kind="number" p={p} />
          <Input label="Total completions" field="totalCompletions" kind="number" p={p} />
        </>
      )}
      {kind === 'global' && <p className="field__hint">One task on every eligible node.</p>}
      {kind === 'global-job' && <p className="field__hint">Runs once to completion on every eligible node.</p>}
    </Section>
  );
}

export function RestartSection({ p }: { p: SectionProps }) {
  return (
    <Section legend="Restart policy" testId="section-restart">
      <Select label="Condition" field="restartCondition" options={[['any', 'any'], ['on-failure', 'on failure'], ['none', 'none']]} p={p} />
      <Input label="Delay" field="restartDelay" kind="mono" hint="e.g. 5s, 500ms" p={p} />
      <Input label="Max attempts" field="restartMaxAttempts" kind="number" hint="0: unlimited" p={p} />
      <Input label="Window" field="restartWindow" kind="mono" hint="0: unbounded" p={p} />
    </Section>
  );
}

/** Update or rollback config: the same six settings. Not shown for jobs (they have none). */
export function ConfigSection({ prefix, p }: { prefix: 'update' | 'rollback'; p: SectionProps }) {
  if (isJobMode(p.values.mode)) return null;
  const f = (k: ConfigKey): ServiceField => `${prefix}.${k}`;
  return (
    <Section legend={prefix === 'update' ? 'Update config' : 'Rollback config'} testId={`section-${prefix}`}>
      <Input label="Parallelism" field={f('parallelism')} kind="number" hint="0: all at once" p={p} />
      <Input label="Delay" field={f('delay')} kind="mono" hint="between batches" p={p} />
      <Select label="Failure action" field={f('failureAction')} options={[['pause', 'pause'], ['continue', 'continue'], ['rollback', 'rollback']]} p={p} />
      <Input label="Monitor" field={f('monitor')} kind="mono" hint="watch each task for" p={p} />
      <Input label="Max failure ratio" field={f('maxFailureRatio')} kind="ratio" hint="0 to 1" p={p} />
      <Select label="Order" field={f('order')} options={[['stop-first', 'stop first'], ['start-first', 'start first']]} p={p} />
    </Section>
  );
}
