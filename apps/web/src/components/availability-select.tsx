'use client';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { Node, NodeAvailability } from '@swarm/shared';
import { useTRPC } from '../trpc/react';
import { errorMessage } from '../trpc/errors';

const OPTIONS: NodeAvailability[] = ['ACTIVE', 'PAUSE', 'DRAIN'];

/**
 * Changes a node's availability. The chosen value shows until the stream
 * brings the node back with it (or the request fails), so it never flickers
 * back to the old value between the response and the commit.
 */
export function AvailabilitySelect({ node, label }: { node: Node; label: string }) {
  const trpc = useTRPC();
  const [wanted, setWanted] = useState<NodeAvailability | null>(null);
  const update = useMutation(trpc.node.update.mutationOptions({ onError: () => setWanted(null) }));
  const actual = node.spec.availability;

  useEffect(() => {
    if (wanted === actual) setWanted(null);
  }, [wanted, actual]);

  return (
    <span className="inline-control">
      <select
        className="input input--select"
        aria-label={`Availability of ${label}`}
        value={wanted ?? actual}
        disabled={update.isPending}
        onChange={(e) => {
          const availability = e.target.value as NodeAvailability;
          setWanted(availability);
          update.mutate({ ref: node.id, availability });
        }}
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
