'use client';
import { useMutation } from '@tanstack/react-query';
import type { Node, NodeAvailability } from '@swarm/shared';
import { useTRPC } from '../trpc/react';
import { errorMessage } from '../trpc/errors';

const OPTIONS: NodeAvailability[] = ['ACTIVE', 'PAUSE', 'DRAIN'];

/** Changes a node's availability; the new value arrives back through the stream. */
export function AvailabilitySelect({ node, label }: { node: Node; label: string }) {
  const trpc = useTRPC();
  const update = useMutation(trpc.node.update.mutationOptions());
  const value = update.isPending && update.variables?.availability ? update.variables.availability : node.spec.availability;
  return (
    <span className="inline-control">
      <select
        className="input input--select"
        aria-label={`Availability of ${label}`}
        value={value}
        disabled={update.isPending}
        onChange={(e) => update.mutate({ ref: node.id, availability: e.target.value as NodeAvailability })}
      >
        {OPTIONS.map((o) => (
          <option key={o} value={o}>
            {o.toLowerCase()}
          </option>
        ))}
      </select>
      {update.isError && (
        <span className="field-error" role="alert">
          {errorMessage(update.error)}
        </span>
      )}
    </span>
  );
}
