'use client';
import { useMutation } from '@tanstack/react-query';
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { ServiceSpecInput, type Service } from '@swarm/shared';
import { useTRPC } from '../trpc/react';
import { errorMessage } from '../trpc/errors';
import { splitArgs } from '../lib/argv';
import { fieldErrors, issuesToFieldErrors, type FieldErrors } from '../lib/field-errors';

type Field = 'name' | 'image' | 'command' | 'args' | 'replicas';

/** Spec paths (as the API and zod name them) → form fields. */
const FIELD_BY_PATH: Record<string, Field> = {
  'spec.annotations.name': 'name',
  'annotations.name': 'name',
  'spec.task.container.image': 'image',
  'task.container.image': 'image',
  'spec.task.container.command': 'command',
  'task.container.command': 'command',
  'spec.task.container.args': 'args',
  'task.container.args': 'args',
  'spec.mode': 'replicas',
  mode: 'replicas',
};

export const DEFAULT_IMAGE = 'local/busybox:1';

interface Values {
  name: string;
  image: string;
  command: string;
  args: string;
  replicas: string;
}

const EMPTY: Values = { name: '', image: DEFAULT_IMAGE, command: '', args: '', replicas: '1' };

function toSpec(v: Values): ServiceSpecInput {
  return {
    annotations: { name: v.name.trim(), labels: {} },
    task: { container: { image: v.image.trim(), command: splitArgs(v.command), args: splitArgs(v.args), env: [] } },
    mode: { kind: 'replicated', replicas: v.replicas.trim() === '' ? Number.NaN : Number(v.replicas) },
  };
}

export function CreateServiceForm({ onCreated, onCancel }: { onCreated: (s: Service) => void; onCancel: () => void }) {
  const trpc = useTRPC();
  const [values, setValues] = useState<Values>(EMPTY);
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const create = useMutation(
    trpc.service.create.mutationOptions({
      onSuccess: (service) => {
        setValues(EMPTY);
        setErrors({});
        onCreated(service);
      },
      onError: (err) => setErrors(fieldErrors(errorMessage(err), FIELD_BY_PATH)),
    }),
  );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const spec = toSpec(values);
    // Same schema the API validates with, so most mistakes never leave the tab.
    const parsed = ServiceSpecInput.safeParse(spec);
    if (!parsed.success) {
      setErrors(issuesToFieldErrors(parsed.error.issues, FIELD_BY_PATH));
      return;
    }
    setErrors({});
    create.mutate({ spec });
  };

  const bind = (field: Field) => ({
    value: values[field],
    onChange: (e: { target: { value: string } }) => {
      setValues((v) => ({ ...v, [field]: e.target.value }));
      if (errors[field]) setErrors((er) => ({ ...er, [field]: undefined }));
    },
  });

  return (
    <form className="card form" onSubmit={submit} aria-labelledby="create-service-title" data-testid="create-service-form" noValidate>
      <h2 id="create-service-title" className="card__title">
        Create service
      </h2>
      <div className="form__grid">
        <FormField label="Name" error={errors.name} hint="Letters, digits, - and _">
          {(p) => <input {...p} className="input" name="name" autoComplete="off" spellCheck={false} required autoFocus {...bind('name')} />}
        </FormField>
        <FormField label="Image" error={errors.image}>
          {(p) => <input {...p} className="input" name="image" autoComplete="off" spellCheck={false} required {...bind('image')} />}
        </FormField>
        <FormField label="Command" error={errors.command} hint="e.g. sleep (empty: the image's default)">
          {(p) => <input {...p} className="input input--mono" name="command" autoComplete="off" spellCheck={false} {...bind('command')} />}
        </FormField>
        <FormField label="Arguments" error={errors.args} hint="e.g. 3600 (quote words with spaces)">
          {(p) => <input {...p} className="input input--mono" name="args" autoComplete="off" spellCheck={false} {...bind('args')} />}
        </FormField>
        <FormField label="Replicas" error={errors.replicas}>
          {(p) => <input {...p} className="input input--narrow" name="replicas" type="number" min={0} step={1} inputMode="numeric" required {...bind('replicas')} />}
        </FormField>
      </div>
      {errors.form && (
        <p className="form__error" role="alert" data-testid="create-service-error">
          {errors.form}
        </p>
      )}
      <div className="form__actions">
        <button type="submit" className="btn btn--primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create'}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

interface FieldProps {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
}

function FormField({ label, error, hint, children }: { label: string; error?: string | undefined; hint?: string; children: (p: FieldProps) => ReactNode }) {
  const id = useId();
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div className={`field${error ? ' field--invalid' : ''}`}>
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      {children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': describedBy })}
      {hint && !error && (
        <span id={`${id}-hint`} className="field__hint">
          {hint}
        </span>
      )}
      {error && (
        <span id={`${id}-error`} className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
