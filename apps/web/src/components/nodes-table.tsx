'use client';
import Link from 'next/link';
import type { Node } from '@swarm/shared';
import { nodeName } from '../live/selectors';
import { AvailabilitySelect } from './availability-select';
import { NodeStatusBadge, nodeHref } from './node-badges';

export function NodesTable({ nodes, running }: { nodes: Node[]; running: ReadonlyMap<string, number> }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="nodes-table">
        <caption className="sr-only">Nodes</caption>
        <thead>
          <tr>
            <th scope="col">Hostname</th>
            <th scope="col">Status</th>
            <th scope="col">Availability</th>
            <th scope="col">Role</th>
            <th scope="col">Tasks</th>
            <th scope="col">Engine</th>
            <th scope="col">Executor</th>
            <th scope="col">Address</th>
          </tr>
        </thead>
        <tbody>
          {nodes.map((n) => {
            const host = nodeName(n);
            return (
              <tr key={n.id} data-testid={`node-row-${host}`} data-node-id={n.id} data-status={n.status.state} data-availability={n.spec.availability}>
                <th scope="row">
                  <Link href={nodeHref(n.id)} className="link-strong">
                    {host}
                  </Link>
                  <div className="sub mono">{n.id.slice(0, 12)}</div>
                </th>
                <td>
                  <NodeStatusBadge node={n} />
                  {n.status.message && <div className="sub">{n.status.message}</div>}
                </td>
                <td>
                  <AvailabilitySelect node={n} label={host} />
                </td>
                <td>
                  {n.role.toLowerCase()}
                  {n.managerStatus?.leader && <span className="pill pill--accent pill--inline">leader</span>}
                  {n.managerStatus && !n.managerStatus.leader && (
                    <div className="sub">{n.managerStatus.reachability.toLowerCase()}</div>
                  )}
                </td>
                <td className="num">{running.get(n.id) ?? 0}</td>
                <td className="mono">{n.description?.engine.engineVersion ?? '—'}</td>
                <td>{n.description?.executor ?? '—'}</td>
                <td className="mono">{n.status.addr || '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
