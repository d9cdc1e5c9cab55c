'use client';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Service, ServiceSpec } from '@swarm/shared';
import { useTRPC } from '../trpc/react';
import { errorMessage } from '../trpc/errors';
import { fieldErrors, type FieldErrors } from '../lib/field-errors';
import { FIELD_BY_PATH, formValues, toSpec, type ServiceField, type ServiceFormValues } from '../lib/service-form';
import { sameJson } from '../lib/same-json';
import { ConfigSection, Input, ModeSection, RestartSection, type SectionProps } from './service-form-sections';

interface Props {
  /** The service to edit; absent: create a new one. */
  service?: Service;
  onDone(service: Service): void;
  onCancel(): void;
}

/**
 * Create or update a service: image and command, mode (replicated, global and
 * the two job kinds), restart policy, update and rollback configs. Validated
 * in the tab with the API's zod schema; the API's own refusals land on the
 * field they name, the rest under the form.
 */
export function ServiceForm({ service, onDone, onCancel }: Props) {
  const trpc = useTRPC();
  const editing = service !== undefined;
  // The spec the form was opened on: an edit applies to it, not to whatever the service became meanwhile.
  const [base, setBase] = useState<ServiceSpec | undefined>(service?.spec);
  const [values, setValues] = useState<ServiceFormValues>(() => formValues(service?.spec));
  const [errors, setErrors] = useState<FieldErrors<ServiceField>>({});
  const [force, setForce] = useState(false);
  const onError = (err: unknown) => setErrors(fieldErrors(errorMessage(err), FIELD_BY_PATH));
  const onSuccess = (s: Service) => {
    setErrors({});
    if (!editing) setValues(formValues());
    onDone(s);
  };
  const create = useMutation(trpc.service.create.mutationOptions({ onSuccess, onError }));
  const update = useMutation(trpc.service.update.mutationOptions({ onSuccess, onError }));
  const pending = create.isPending || update.isPending;
  const stale = editing && base !== undefined && !sameJson(service.spec, base);

  const set = (field: ServiceField, value: string) => {
    setValues((v) => ({ ...v, [field]: value }));
    if (errors[field]) setErrors((er) => ({ ...er, [field]: undefined }));
  };
  const reload = () => {
    setBase(service?.spec);
    setValues(formValues(service?.spec));
    setErrors({});
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const r = toSpec(values, base);
    if (!r.ok) {
      setErrors(r.errors);
      return;
    }
    if (!service) {
      create.mutate({ spec: r.spec });
      return;
    }
    if (stale) {
      setErrors({ form: 'The service changed since this form was opened (another tab or the CLI). Reload the form to edit its current spec.' });
      return;
    }
    if (!force && sameJson(r.spec, base)) {
      setErrors({ form: 'Nothing changed. Check "Force redeploy" to replace every task anyway.' });
      return;
    }
    setErrors({});
    update.mutate({ ref: service.id, version: service.meta.version, spec: r.spec, ...(force ? { force: true } : {}) });
  };

  const p: SectionProps = { values, errors, set, editing };
  const name = service?.spec.annotations.name;
  const titleId = editing ? 'edit-service-title' : 'create-service-title';
  return (
    <form className="card form" onSubmit={submit} aria-labelledby={titleId} data-testid={editing ? 'edit-service-form' : 'create-service-form'} noValidate>
      <h2 id={titleId} className="card__title">
        {editing ? `Update ${name}` : 'Create service'}
      </h2>
      <div className="form__grid">
        <Input label="Name" field="name" hint={editing ? 'Services cannot be renamed' : 'Letters, digits, - and _'} p={p} disabled={editing} autoFocus={!editing} />
        <Input label="Image" field="image" p={p} autoFocus={editing} />
        <Input label="Command" field="command" kind="mono" hint="e.g. sleep (empty: the image's default)" p={p} />
        <Input label="Arguments" field="args" kind="mono" hint="e.g. 3600 (quote words with spaces)" p={p} />
      </div>
      <div className="form__sections">
        <ModeSection p={p} />
        <RestartSection p={p} />
        <ConfigSection prefix="update" p={p} />
        <ConfigSection prefix="rollback" p={p} />
      </div>
      {errors.form && (
        <p className="form__error" role="alert" data-testid="service-form-error">
          {errors.form}
        </p>
      )}
      <div className="form__actions">
        <button type="submit" className="btn btn--primary" disabled={pending}>
          {editing ? (update.isPending ? 'Updating…' : 'Update') : create.isPending ? 'Creating…' : 'Create'}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
        {editing && (
          <label className="check">
            <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} />
            Force redeploy
          </label>
        )}
        {stale && (
          <button type="button" className="btn btn--small" onClick={reload}>
            Reload form
          </button>
        )}
      </div>
    </form>
  );
}
