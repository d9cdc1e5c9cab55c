'use client';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { useEffect, useMemo, useState } from 'react';
import { TaskState, taskStateName, type Task, type TaskStatus } from '@swarm/shared';
import { useNodes, useServices, useSynced, useTasks } from '../live/hooks';
import { nodeName, taskDisplayName, tasksOfService } from '../live/selectors';
import { isFresh } from '../live/rollout';
import { formatUtc } from '../lib/cert';
import { serviceHref } from '../lib/hrefs';
import { Card } from './card';
import { EmptyState, Loading } from './empty-state';
import { nodeHref } from './node-badges';
import { PageHeader } from './page-header';
import { Fact } from './fact';
import { StateBadge } from './state-badge';
import { Age } from './task-row';
import { TasksTable } from './tasks-table';

export function TaskView() {
  const id = useSearchParams().get('id');
  if (!id) return <EmptyState title="No task selected" />;
  return <TaskDetail id={id} />;
}

/** Every status the task reported while this page was open (tasks keep only their latest status). */
function useStatusLog(task: Task | undefined): TaskStatus[] {
  const [log, setLog] = useState<TaskStatus[]>([]);
  const status = task?.status;
  useEffect(() => {
    if (!status) return;
    setLog((l) => {
      const last = l[l.length - 1];
      if (last && last.state === status.state && last.timestamp === status.timestamp) return l;
      return [...l, status].slice(-50);
    });
  }, [status]);
  return log;
}

function TaskDetail({ id }: { id: string }) {
  const tasks = useTasks();
  const nodes = useNodes();
  const services = useServices();
  const synced = useSynced();
  const task = tasks.get(id);
  const log = useStatusLog(task);
  const serviceId = task?.serviceId;
  const slotTasks = useMemo(() => {
    if (!task || !serviceId) return [];
    const key = (t: Task) => (t.slot !== 0 ? `s${t.slot}` : `n${t.nodeId}`);
    return tasksOfService(tasks, serviceId).filter((t) => key(t) === key(task));
  }, [tasks, serviceId, task]);

  if (!synced) return <Loading what="task" />;
  if (!task) {
    return (
      <EmptyState title="Task not found">
        It may have been removed from the history. <Link href="/tasks">Back to tasks</Link>
      </EmptyState>
    );
  }
  const name = taskDisplayName(task, nodes);
  const service = services.get(task.serviceId);
  const st = task.status;
  const pending = st.state === TaskState.PENDING && task.desiredState <= TaskState.RUNNING;
  const c = task.spec.container;
  return (
    <div data-testid="task-detail" data-task-id={task.id} data-state={taskStateName(st.state)}>
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link href="/tasks">Tasks</Link> <span aria-hidden="true">/</span> <Link href={serviceHref(task.serviceId)}>{task.serviceAnnotations.name}</Link>{' '}
        <span aria-hidden="true">/</span> <span aria-current="page">{name}</span>
      </nav>
      <PageHeader title={name} meta={<span className="mono">{task.id}</span>} />
      {pending && (
        <div className="notice--pending" role="status" data-testid="task-pending">
          <strong>Not placed yet.</strong> <span data-testid="pending-reason">{st.err || st.message || 'waiting for the scheduler'}</span>
        </div>
      )}
      <Card id="task-status" title="Status">
        <dl className="facts">
          <Fact term="State" testId="task-state-fact">
            <StateBadge state={st.state} /> <span className="muted">for <Age ts={st.timestamp} /></span>
          </Fact>
          <Fact term="Desired">{taskStateName(task.desiredState).toLowerCase()}</Fact>
          <Fact term="Message">
            <span className="status-text">{st.message || '—'}</span>
          </Fact>
          <Fact term={pending ? 'Reason' : 'Error'} testId="task-error-fact">
            <span className={`status-text${pending ? ' task-reason' : ' cell-error'}`}>{st.err || '—'}</span>
          </Fact>
          <Fact term="Service">{service ? <Link href={serviceHref(service.id)}>{service.spec.annotations.name}</Link> : task.serviceAnnotations.name}</Fact>
          <Fact term={task.slot !== 0 ? 'Slot' : 'Slot (global)'}>{task.slot !== 0 ? task.slot : '—'}</Fact>
          <Fact term="Node">{task.nodeId ? <Link href={nodeHref(task.nodeId)}>{nodeName(nodes.get(task.nodeId), task.nodeId)}</Link> : <span className="muted">not assigned</span>}</Fact>
          <Fact term="Container">
            <span className="mono">{st.container?.containerId || '—'}</span>
            {st.container?.exitCode !== undefined ? ` (exit code ${st.container.exitCode})` : ''}
          </Fact>
          <Fact term="Image">
            <span className="mono">{c.image}</span>
            {service && !isFresh(service, task) ? <span className="pill pill--warn pill--inline">old spec</span> : null}
          </Fact>
          <Fact term="Command">
            <span className="mono">{[...c.command, ...c.args].join(' ') || 'image default'}</span>
          </Fact>
          <Fact term="Created">{formatUtc(task.meta.createdAt)}</Fact>
        </dl>
      </Card>
      <Card
        id="task-history"
        title={
          <>
            Status history <span className="sub">(as seen since this page opened)</span>
          </>
        }
      >
        <ol className="status-log" data-testid="status-log">
          {log.map((s) => (
            <li key={`${s.timestamp}-${s.state}`}>
              <time className="mono" dateTime={new Date(s.timestamp).toISOString()}>
                {new Date(s.timestamp).toISOString().slice(11, 23)}
              </time>{' '}
              <StateBadge state={s.state} /> {s.message}
              {s.err ? <span className="cell-error"> — {s.err}</span> : null}
            </li>
          ))}
        </ol>
      </Card>
      <section aria-labelledby="task-slot">
        <div className="section-header">
          <h2 id="task-slot" className="section-header__title">
            {task.slot !== 0 ? `Slot ${task.slot}: this task and its history` : 'This node’s tasks of the service'}
          </h2>
        </div>
        <TasksTable tasks={slotTasks} nodes={nodes} caption={`Tasks of slot ${task.slot}`} />
      </section>
    </div>
  );
}
