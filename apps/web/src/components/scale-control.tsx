'use client';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useId, useState, type FormEvent } from 'react';
import type { Service } from '@swarm/shared';
import { useTRPC } from '../trpc/react';
import { errorMessage } from '../trpc/errors';

/** Replica count input + Scale button for one replicated service. */
export function ScaleControl({ service }: { service: Service }) {
  const trpc = useTRPC();
  const name = service.spec.annotations.name;
  const current = service.spec.mode.kind === 'replicated' ? service.spec.mode.replicas : 0;
  const [value, setValue] = useState(String(current));
  const [dirty, setDirty] = useState(false);
  const scale = useMutation(trpc.service.scale.mutationOptions({ onSuccess: () => setDirty(false) }));
  const errorId = useId();

  // Follow live changes (another tab, the CLI) unless the user is editing.
  useEffect(() => {
    if (!dirty) setValue(String(current));
  }, [current, dirty]);

  if (service.spec.mode.kind !== 'replicated') return <span className="muted">—</span>;

  const replicas = Number(value);
  const valid = value.trim() !== '' && Number.isInteger(replicas) && replicas >= 0;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (valid) scale.mutate({ ref: service.id, replicas });
  };

  return (
    <form className="scale" onSubmit={submit} data-testid={`scale-${name}`}>
      <input
        type="number"
        min={0}
        step={1}
        inputMode="numeric"
        className="input input--narrow"
        aria-label={`Replicas for ${name}`}
        aria-invalid={!valid || scale.isError}
        aria-describedby={scale.isError ? errorId : undefined}
        value={value}
        onChange={(e) => {
          setValue(e.target.value);
          setDirty(true);
          scale.reset();
        }}
      />
      <button type="submit" className="btn btn--small" disabled={!valid || scale.isPending || (!dirty && replicas === current)} aria-label={`Scale ${name}`}>
        {scale.isPending ? 'Scaling…' : 'Scale'}
      </button>
      {scale.isError && (
        <span id={errorId} className="field-error" role="alert">
          {errorMessage(scale.error)}
        </span>
      )}
    </form>
  );
}
