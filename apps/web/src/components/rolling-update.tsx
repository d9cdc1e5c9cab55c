'use client';
import { useMutation } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { formatDuration, type Node, type Service, type Task, type UpdateStatus } from '@swarm/shared';
import { activeConfig, rollout, type GroupState, type Rollout, type UpdateStateName } from '../live/rollout';
import { errorMessage } from '../trpc/errors';
import { useTRPC } from '../trpc/react';
import { ConfirmDialog } from './confirm-dialog';
import { Age } from './task-row';

const STATE_TEXT: Record<UpdateStateName, string> = {
  updating: 'updating',
  paused: 'paused',
  completed: 'completed',
  rollback_started: 'rolling back',
  rollback_paused: 'rollback paused',
  rollback_completed: 'rolled back',
};
const STATE_TONE: Record<UpdateStateName, string> = {
  updating: 'progress',
  paused: 'error',
  completed: 'ok',
  rollback_started: 'warn',
  rollback_paused: 'error',
  rollback_completed: 'warn',
};
const GROUP_TEXT: Record<GroupState, string> = { updated: 'on the new spec', updating: 'being replaced', failed: 'failed', old: 'on the old spec' };
/** Above this many slots the per-slot strip is left out (the bar and counts remain). */
const MAX_STRIP = 120;

function Bar({ r }: { r: Rollout }) {
  const pct = (n: number) => `${r.total === 0 ? 0 : (100 * n) / r.total}%`;
  return (
    <div
      className="rollout__bar"
      role="progressbar"
      aria-label="Tasks on the new spec"
      aria-valuemin={0}
      aria-valuemax={r.total}
      aria-valuenow={r.updated}
      aria-valuetext={`${r.updated} of ${r.total} tasks on the new spec`}
    >
      <span className="fill--updated" style={{ width: pct(r.updated) }} />
      <span className="fill--updating" style={{ width: pct(r.updating) }} />
      <span className="fill--failed" style={{ width: pct(r.failed) }} />
    </div>
  );
}

/** The rollback button and its confirmation (`service.rollback`: back to the previous spec). */
export function RollbackButton({ service }: { service: Service }) {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const rollback = useMutation(trpc.service.rollback.mutationOptions({ onSuccess: () => setOpen(false) }));
  const name = service.spec.annotations.name;
  const prev = service.previousSpec;
  if (!prev) return null;
  const changedImage = prev.task.container.image !== service.spec.task.container.image;
  return (
    <>
      <button
        type="button"
        className="btn btn--small btn--danger-outline"
        onClick={() => {
          rollback.reset();
          setOpen(true);
        }}
      >
        Rollback
      </button>
      <ConfirmDialog
        open={open}
        title={`Roll ${name} back?`}
        confirmLabel="Rollback"
        busyLabel="Rolling back…"
        busy={rollback.isPending}
        error={rollback.isError ? errorMessage(rollback.error) : undefined}
        onConfirm={() => rollback.mutate({ ref: service.id })}
        onClose={() => setOpen(false)}
        testId="rollback-dialog"
      >
        <p>
          {name} returns to its previous spec
          {changedImage ? ` (image ${prev.task.container.image})` : ''}; its tasks are replaced with the rollback config.
        </p>
      </ConfirmDialog>
    </>
  );
}

/**
 * The rolling update as it happens: state and message (the failed task that
 * paused it), tasks on the new spec vs total, batches, each slot's state, and
 * Rollback. Live: it re-derives from the stream on every commit.
 */
export function RollingUpdate({ service, status: st, tasks, nodes }: { service: Service; status: UpdateStatus; tasks: readonly Task[]; nodes: ReadonlyMap<string, Node> }) {
  const r = useMemo(() => rollout(service, tasks, nodes), [service, tasks, nodes]);
  const cfg = activeConfig(service);
  const failed = st.state === 'paused' || st.state === 'rollback_paused';
  const active = st.state === 'updating' || st.state === 'rollback_started';
  return (
    <section className="card" aria-labelledby="svc-update" data-testid="rolling-update" data-update-state={st.state} data-updated={r.updated} data-total={r.total}>
      <div className="rollout__head">
        <h2 id="svc-update" className="card__title">
          {r.rollback ? 'Rollback' : 'Rolling update'}
        </h2>
        <span className={`badge badge--${STATE_TONE[st.state]}`} data-testid="update-state" data-state={st.state}>
          {STATE_TEXT[st.state]}
        </span>
        <RollbackButton service={service} />
      </div>
      {st.message && (
        <p className={`rollout__message${failed ? ' rollout__message--error' : ''}`} data-testid="update-message" role={failed ? 'alert' : undefined}>
          {st.message}
        </p>
      )}
      <Bar r={r} />
      <div className="rollout__stats" data-testid="update-stats">
        <span>
          <strong>{r.updated}</strong> of <strong>{r.total}</strong> on the new spec
        </span>
        {r.updating > 0 && <span>{r.updating} being replaced</span>}
        {r.failed > 0 && <span>{r.failed} failed</span>}
        <span data-testid="update-batch">
          {active ? `batch ${r.batch} of ${r.batches}` : `${r.batches} batch${r.batches === 1 ? '' : 'es'}`}
          {` (parallelism ${r.parallelism === 0 ? 'all' : r.parallelism}${cfg ? `, delay ${formatDuration(cfg.delayMs)}, on failure ${cfg.failureAction}, ${cfg.order}` : ''})`}
        </span>
        {st.startedAt !== undefined && (
          <span>
            started <Age ts={st.startedAt} /> ago
          </span>
        )}
        {st.completedAt !== undefined && st.startedAt !== undefined && <span>took {formatDuration(st.completedAt - st.startedAt)}</span>}
      </div>
      {r.groups.length <= MAX_STRIP && (
        <ul className="slots" aria-label="Slots">
          {r.groups.map((g) => (
            <li key={g.key} className={`slot--${g.state}`} title={`${g.label}: ${GROUP_TEXT[g.state]}`} data-testid="update-slot" data-state={g.state}>
              <span className="sr-only">
                {g.label}: {GROUP_TEXT[g.state]}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
