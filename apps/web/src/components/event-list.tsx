'use client';
import Link from 'next/link';
import type { LiveEvent } from '../live/events';
import { nodeHref } from './node-badges';
import { serviceHref } from '../lib/hrefs';

const SEVERITY_TONE = { info: 'progress', ok: 'ok', warn: 'warn', error: 'error' } as const;

/** `HH:MM:SS` in UTC, and the full ISO time as the tooltip/datetime. */
function clock(ts: number): string {
  return new Date(ts).toISOString().slice(11, 19);
}

export function eventHref(e: LiveEvent): string | undefined {
  if (e.kind === 'node') return nodeHref(e.objectId);
  if (e.serviceId && e.action !== 'removed') return serviceHref(e.serviceId);
  return undefined;
}

/** A timeline, newest first. Rows carry `data-kind`, `data-action`, `data-object`. */
export function EventList({ events, label, compact = false }: { events: readonly LiveEvent[]; label: string; compact?: boolean }) {
  return (
    <ol className={`timeline${compact ? ' timeline--compact' : ''}`} aria-label={label} data-testid="event-list">
      {events.map((e) => {
        const href = eventHref(e);
        return (
          <li
            key={e.id}
            className={`timeline__item timeline__item--${e.severity}`}
            data-testid="event"
            data-kind={e.kind}
            data-action={e.action}
            data-severity={e.severity}
            data-object={e.objectName}
          >
            <time className="timeline__time mono" dateTime={new Date(e.at).toISOString()} title={new Date(e.at).toISOString()}>
              {clock(e.at)}
            </time>
            <span className={`badge badge--${SEVERITY_TONE[e.severity]} timeline__action`}>
              {e.kind} {e.action.replace('_', ' ')}
            </span>
            <span className="timeline__message">
              {href ? (
                <Link href={href} className="link-strong">
                  {e.objectName}
                </Link>
              ) : (
                <span className="link-strong">{e.objectName}</span>
              )}{' '}
              <span>{e.message.replace(/^(Service|Task|Node|Manager) \S+:? ?/, '')}</span>
            </span>
          </li>
        );
      })}
    </ol>
  );
}
