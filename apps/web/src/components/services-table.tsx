'use client';
import Link from 'next/link';
import type { Service } from '@swarm/shared';
import type { ReplicaCounts } from '../live/selectors';
import { modeLabel } from '../live/selectors';
import { ReplicaMeter } from './replica-meter';
import { ScaleControl } from './scale-control';
import { serviceHref } from '../lib/hrefs';


export function ServicesTable({ services, counts }: { services: Service[]; counts: ReadonlyMap<string, ReplicaCounts> }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="services-table">
        <caption className="sr-only">Services</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Image</th>
            <th scope="col">Mode</th>
            <th scope="col">Replicas</th>
            <th scope="col">Scale</th>
          </tr>
        </thead>
        <tbody>
          {services.map((s) => {
            const name = s.spec.annotations.name;
            const c = counts.get(s.id) ?? { running: 0, desired: 0 };
            return (
              <tr key={s.id} data-testid={`service-row-${name}`} data-service-id={s.id}>
                <th scope="row">
                  <Link href={serviceHref(s.id)} className="link-strong">
                    {name}
                  </Link>
                  <div className="sub mono">{s.id.slice(0, 12)}</div>
                </th>
                <td className="mono">{s.spec.task.container.image}</td>
                <td>{modeLabel(s)}</td>
                <td>
                  <ReplicaMeter counts={c} label={name} />
                </td>
                <td>
                  <ScaleControl service={s} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
