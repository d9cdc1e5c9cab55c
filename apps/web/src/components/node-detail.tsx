'use client';
import Link from 'next/link';
import { useEffect, useMemo, useState } from 'react';
import type { Node } from '@swarm/shared';
import { useNodes, useSynced, useTasks } from '../live/hooks';
import { findNode, isCurrent, nodeName, tasksOfNode } from '../live/selectors';
import { certExpiry, formatUtc } from '../lib/cert';
import { age } from '../lib/format';
import { useNow } from '../lib/use-now';
import { Card } from './card';
import { EmptyState, Loading } from './empty-state';
import { Fact } from './fact';
import { AvailabilityBadge, NodeStatusBadge } from './node-badges';
import { NodeActions } from './node-actions';
import { PageHeader } from './page-header';
import { TasksTable } from './tasks-table';

function bytes(n: number): string {
  if (!n) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

const cpus = (nano: number) => (nano ? `${+(nano / 1e9).toFixed(2)} CPU${nano === 1e9 ? '' : 's'}` : '—');

function Labels({ labels, testId }: { labels: Record<string, string> | undefined; testId: string }) {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return <span className="muted">none</span>;
  return (
    <ul className="labels" data-testid={testId}>
      {entries.map(([k, v]) => (
        <li key={k} className="mono">
          {k}
          {v ? `=${v}` : ''}
        </li>
      ))}
    </ul>
  );
}

function CertificateCard({ node }: { node: Node }) {
  const now = useNow();
  const cert = node.certificate;
  if (!cert) {
    return (
      <Card id="node-cert" title="Certificate">
        <p className="muted">No certificate recorded for this node.</p>
      </Card>
    );
  }
  // Before the clock starts (pre-render) judge against issuance, never "expired".
  const e = certExpiry(cert, now || cert.notBefore);
  const pct = Math.round(e.remaining * 100);
  return (
    <Card id="node-cert" title="Certificate">
      <dl className="facts">
        <div>
          <dt>Expires</dt>
          <dd data-testid="cert-expiry" data-warn={e.warn || undefined} data-not-after={cert.notAfter} className={e.warn ? 'cert cert--warn' : 'cert'}>
            <time dateTime={new Date(cert.notAfter).toISOString()}>{formatUtc(cert.notAfter)}</time>{' '}
            <span data-testid="cert-expiry-relative">({e.relative})</span>
            <span className="meter meter--cert" aria-hidden="true">
              <span className="meter__bar">
                <span className="meter__fill" style={{ width: `${pct}%` }} />
              </span>
            </span>
            <div className="sub">
              {pct}% of its {Math.round(e.lifetimeMs / 86_400_000)}-day lifetime left
              {e.warn && !e.expired ? ': it should have been renewed by now' : ''}
              {e.expired ? ': the node cannot reconnect until it rejoins' : ''}
            </div>
          </dd>
        </div>
        <Fact term="Issued">{formatUtc(cert.notBefore)}</Fact>
        <Fact term="Certified role">{cert.role.toLowerCase()}</Fact>
        <Fact term="Serial" mono>
          {cert.serial}
        </Fact>
        <Fact term="Public key (SHA-256)" mono>
          <span title={cert.publicKeyHash}>{cert.publicKeyHash.slice(0, 24)}…</span>
        </Fact>
      </dl>
    </Card>
  );
}

export function NodeDetail({ id }: { id: string }) {
  const nodes = useNodes();
  const tasks = useTasks();
  const synced = useSynced();
  const now = useNow();
  const [showHistory, setShowHistory] = useState(false);
  const node = findNode(nodes, id);
  const host = node ? nodeName(node) : undefined;
  useEffect(() => {
    if (host) document.title = `${host} · Swarm`;
  }, [host]);
  const nodeTasks = useMemo(() => (node ? tasksOfNode(tasks, node.id) : []), [tasks, node]);
  const shown = useMemo(() => (showHistory ? nodeTasks : nodeTasks.filter(isCurrent)), [nodeTasks, showHistory]);

  if (!synced) return <Loading what="node" />;
  if (!node || !host) {
    return (
      <EmptyState title="Node not found">
        It may have been removed. <Link href="/nodes">Back to nodes</Link>
      </EmptyState>
    );
  }
  const d = node.description;
  return (
    <div data-testid="node-detail" data-node-id={node.id} data-hostname={host} data-availability={node.spec.availability} data-status={node.status.state}>
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link href="/nodes">Nodes</Link> <span aria-hidden="true">/</span> <span aria-current="page">{host}</span>
      </nav>
      <PageHeader title={host} meta={<span className="mono">{node.id}</span>} actions={<NodeActions node={node} />} />
      <Card id="node-overview" title="Overview">
        <dl className="facts">
          <Fact term="Status">
            <NodeStatusBadge node={node} />
            {node.status.message && <div className="sub">{node.status.message}</div>}
          </Fact>
          <Fact term="Availability">
            <AvailabilityBadge node={node} />
          </Fact>
          <Fact term="Role" valueTestId="node-role">
            {node.role.toLowerCase()}
            {node.managerStatus?.leader && <span className="pill pill--accent pill--inline">leader</span>}
            {node.spec.desiredRole !== node.role && <div className="sub">becoming {node.spec.desiredRole.toLowerCase()}</div>}
          </Fact>
          <Fact term="Address" mono>
            {node.status.addr || '—'}
          </Fact>
          {node.managerStatus && (
            <Fact term="Manager address" mono>
              {node.managerStatus.addr} <span className="sub">({node.managerStatus.reachability.toLowerCase()})</span>
            </Fact>
          )}
          <Fact term="Platform">{d ? `${d.platform.os}/${d.platform.architecture}` : '—'}</Fact>
          <Fact term="Resources">
            {d ? (
              <>
                {cpus(d.resources.nanoCpus)}, {bytes(d.resources.memoryBytes)}
                {Object.entries(d.resources.generic).map(([k, v]) => `, ${v} ${k}`)}
              </>
            ) : (
              '—'
            )}
          </Fact>
          <Fact term="Engine" mono>
            {d?.engine.engineVersion || '—'}
          </Fact>
          <Fact term="Executor" valueTestId="node-executor">
            {d?.executor ?? '—'}
          </Fact>
          <Fact term="Joined">
            {formatUtc(node.meta.createdAt)} <span className="sub">({age(node.meta.createdAt, now)} ago)</span>
          </Fact>
          <Fact term="Node labels">
            <Labels labels={node.spec.annotations.labels} testId="node-labels" />
          </Fact>
          <Fact term="Engine labels">
            <Labels labels={d?.engine.labels} testId="engine-labels" />
          </Fact>
        </dl>
      </Card>
      <CertificateCard node={node} />
      <section aria-labelledby="node-tasks">
        <div className="section-header">
          <h2 id="node-tasks" className="section-header__title">
            Tasks on {host}
          </h2>
          <label className="check">
            <input type="checkbox" checked={showHistory} onChange={(e) => setShowHistory(e.target.checked)} />
            Show history
          </label>
        </div>
        {shown.length === 0 ? (
          <EmptyState title="No tasks">{node.spec.availability === 'DRAIN' ? 'The node is drained.' : 'Nothing is scheduled on this node.'}</EmptyState>
        ) : (
          <TasksTable tasks={shown} nodes={nodes} linkService caption={`Tasks on ${host}`} />
        )}
      </section>
    </div>
  );
}
