'use client';
import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import type { Node, NodeAvailability } from '@swarm/shared';
import { nodeName } from '../live/selectors';
import { errorMessage } from '../trpc/errors';
import { useTRPC } from '../trpc/react';
import { ConfirmDialog } from './confirm-dialog';
import { NodeRoleAndLabels } from './node-role-labels';

const ACTIONS: { to: NodeAvailability; label: string; tone: 'primary' | 'danger'; explain: (host: string) => string }[] = [
  { to: 'ACTIVE', label: 'Activate', tone: 'primary', explain: (h) => `The scheduler may place new tasks on ${h} again.` },
  { to: 'PAUSE', label: 'Pause', tone: 'danger', explain: (h) => `No new tasks are scheduled on ${h}. Tasks already running there keep running.` },
  {
    to: 'DRAIN',
    label: 'Drain',
    tone: 'danger',
    explain: (h) => `The tasks on ${h} are stopped and rescheduled on other nodes, and no new tasks are placed on it. Services with a single replica are briefly down.`,
  },
];

/** Pause / drain / activate, promote / demote, labels, and remove, each behind a dialog. */
export function NodeActions({ node }: { node: Node }) {
  const trpc = useTRPC();
  const router = useRouter();
  const host = nodeName(node);
  const [asked, setAsked] = useState<NodeAvailability | 'remove' | null>(null);
  const [force, setForce] = useState(false);
  // The availability we asked for, until the stream brings the node back with it.
  const [pending, setPending] = useState<NodeAvailability | null>(null);
  const current = node.spec.availability;
  useEffect(() => {
    if (pending === current) setPending(null);
  }, [pending, current]);

  const update = useMutation(
    trpc.node.update.mutationOptions({
      onSuccess: (_d, vars) => {
        setPending(vars.availability ?? null);
        setAsked(null);
      },
    }),
  );
  const remove = useMutation(trpc.node.remove.mutationOptions({ onSuccess: () => router.push('/nodes') }));
  const down = node.status.state !== 'READY';
  // Force only means something while the node is up (the server refuses a READY node without it).
  const forced = force && !down;

  const open = (what: NodeAvailability | 'remove') => {
    update.reset();
    remove.reset();
    setForce(false);
    setAsked(what);
  };
  const action = ACTIONS.find((a) => a.to === asked);

  return (
    <div className="node-actions" role="group" aria-label={`Actions for ${host}`}>
      {ACTIONS.map((a) => (
        <button
          key={a.to}
          type="button"
          className="btn btn--small"
          data-testid={`node-action-${a.to.toLowerCase()}`}
          aria-pressed={current === a.to}
          disabled={current === a.to || pending !== null}
          onClick={() => open(a.to)}
        >
          {pending === a.to ? `${a.label}…` : a.label}
        </button>
      ))}
      <NodeRoleAndLabels node={node} />
      <button type="button" className="btn btn--small btn--danger-outline" data-testid="node-action-remove" onClick={() => open('remove')}>
        Remove
      </button>

      <ConfirmDialog
        open={!!action}
        title={action ? `${action.label} ${host}?` : ''}
        confirmLabel={action?.label ?? ''}
        tone={action?.tone ?? 'primary'}
        busy={update.isPending}
        error={update.isError ? errorMessage(update.error) : undefined}
        onConfirm={() => action && update.mutate({ ref: node.id, availability: action.to })}
        onClose={() => setAsked(null)}
        testId="node-availability-dialog"
      >
        <p>{action?.explain(host)}</p>
      </ConfirmDialog>

      <ConfirmDialog
        open={asked === 'remove'}
        title={`Remove ${host} from the cluster?`}
        confirmLabel={forced ? 'Force remove' : 'Remove'}
        busyLabel="Removing…"
        busy={remove.isPending}
        error={remove.isError ? errorMessage(remove.error) : undefined}
        onConfirm={() => remove.mutate({ ref: node.id, force: forced || undefined })}
        onClose={() => setAsked(null)}
        testId="node-remove-dialog"
        extra={
          !down && (
            <label className="check check--block">
              <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} data-testid="node-remove-force" />
              Force: {host} is still up; remove it anyway
            </label>
          )
        }
      >
        <p>
          Its certificate is revoked, so it cannot reconnect; tasks still on it are orphaned and replaced elsewhere. To bring the machine back, join it again
          as a new node.
        </p>
        {down ? (
          <p className="muted">The node is {node.status.state.toLowerCase()}.</p>
        ) : (
          <p className="muted">Stop swarmd on it first, or force the removal.</p>
        )}
      </ConfirmDialog>
    </div>
  );
}
