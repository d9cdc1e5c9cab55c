'use client';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import type { Node } from '@swarm/shared';
import { labelLines, parseLabelLines } from '../lib/labels';
import { nodeName } from '../live/selectors';
import { errorMessage } from '../trpc/errors';
import { useTRPC } from '../trpc/react';
import { ConfirmDialog } from './confirm-dialog';

/** Promote / demote and label editing for one node, each behind a dialog. */
export function NodeRoleAndLabels({ node }: { node: Node }) {
  const trpc = useTRPC();
  const host = nodeName(node);
  const [asked, setAsked] = useState<'role' | 'labels' | null>(null);
  const [text, setText] = useState('');
  const [invalid, setInvalid] = useState<string | undefined>();
  const update = useMutation(trpc.node.update.mutationOptions({ onSuccess: () => setAsked(null) }));
  const promote = node.spec.desiredRole === 'WORKER';
  const verb = promote ? 'Promote' : 'Demote';

  const open = (what: 'role' | 'labels') => {
    update.reset();
    setInvalid(undefined);
    if (what === 'labels') setText(labelLines(node.spec.annotations.labels ?? {}));
    setAsked(what);
  };
  const saveLabels = () => {
    const parsed = parseLabelLines(text);
    if (!parsed.ok) return setInvalid(parsed.error);
    setInvalid(undefined);
    update.mutate({ ref: node.id, labels: parsed.value });
  };

  return (
    <>
      <button type="button" className="btn btn--small" data-testid="node-action-role" onClick={() => open('role')}>
        {verb}
      </button>
      <button type="button" className="btn btn--small" data-testid="node-action-labels" onClick={() => open('labels')}>
        Edit labels
      </button>

      <ConfirmDialog
        open={asked === 'role'}
        title={`${verb} ${host}?`}
        confirmLabel={verb}
        tone={promote ? 'primary' : 'danger'}
        busy={update.isPending}
        error={update.isError ? errorMessage(update.error) : undefined}
        onConfirm={() => update.mutate({ ref: node.id, desiredRole: promote ? 'MANAGER' : 'WORKER' })}
        onClose={() => setAsked(null)}
        testId="node-role-dialog"
      >
        {promote ? (
          <p>{host} gets a manager certificate, starts its manager part and joins Raft: it then holds the cluster&apos;s state and counts toward quorum.</p>
        ) : (
          <p>{host} leaves Raft and stops its manager part; it keeps running its tasks as a worker. Demoting the leader hands leadership over first, and a demotion that would lose quorum is refused.</p>
        )}
      </ConfirmDialog>

      <ConfirmDialog
        open={asked === 'labels'}
        title={`Labels of ${host}`}
        confirmLabel="Save labels"
        busyLabel="Saving…"
        tone="primary"
        busy={update.isPending}
        error={invalid ?? (update.isError ? errorMessage(update.error) : undefined)}
        onConfirm={saveLabels}
        onClose={() => setAsked(null)}
        testId="node-labels-dialog"
      >
        <p>One <code>key=value</code> per line. Constraints such as <code>node.labels.zone==a</code> use them; the scheduler sees a change at once.</p>
        <textarea className="input mono" rows={6} value={text} onChange={(e) => setText(e.target.value)} aria-label={`Labels of ${host}, one key=value per line`} data-testid="node-labels-input" />
      </ConfirmDialog>
    </>
  );
}
