'use client';
import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { Service } from '@swarm/shared';
import { useTRPC } from '../trpc/react';
import { errorMessage } from '../trpc/errors';

/** Two-step remove: the first click asks, the second removes. */
export function RemoveServiceButton({ service }: { service: Service }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  const name = service.spec.annotations.name;
  const remove = useMutation(trpc.service.remove.mutationOptions({ onSuccess: () => router.push('/services') }));

  if (!confirming) {
    return (
      <button type="button" className="btn btn--danger-outline" onClick={() => setConfirming(true)}>
        Remove service
      </button>
    );
  }
  return (
    <div className="confirm" role="group" aria-label={`Confirm removing ${name}`}>
      <span>Remove {name} and stop its tasks?</span>
      <button type="button" className="btn btn--danger" autoFocus disabled={remove.isPending} onClick={() => remove.mutate({ ref: service.id })}>
        {remove.isPending ? 'Removing…' : 'Remove'}
      </button>
      <button type="button" className="btn" onClick={() => setConfirming(false)}>
        Cancel
      </button>
      {remove.isError && (
        <span className="field-error" role="alert">
          {errorMessage(remove.error)}
        </span>
      )}
    </div>
  );
}
