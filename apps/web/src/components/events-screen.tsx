'use client';
import { useMemo } from 'react';
import { MAX_EVENTS, matchesEvent, type EventFilter, type EventKind } from '../live/events';
import { useEvents, useSynced } from '../live/hooks';
import { EmptyState, Loading } from './empty-state';
import { EventList } from './event-list';
import { useQueryFilters } from '../lib/use-query-filters';
import { FilterField } from './filter-field';
import { PageHeader } from './page-header';

const KINDS: { value: EventKind | ''; label: string }[] = [
  { value: '', label: 'All kinds' },
  { value: 'service', label: 'Services' },
  { value: 'task', label: 'Tasks' },
  { value: 'node', label: 'Nodes' },
];

const FILTER_KEYS = ['kind', 'object', 'q', 'problems'] as const;

/** Filters live in the query string (`?kind=&object=&q=&problems=1`) so a view can be shared or bookmarked. */
export function EventsScreen() {
  const events = useEvents();
  const synced = useSynced();
  const [qf, set] = useQueryFilters(FILTER_KEYS);
  const filter: EventFilter = { kind: qf.kind as EventKind | '', object: qf.object.trim(), text: qf.q, problems: qf.problems === '1' };
  const { kind, object, text, problems } = filter;
  const shown = useMemo(() => events.filter((e) => matchesEvent(e, { kind, object, text, problems })), [events, kind, object, text, problems]);
  const filtered = !!(kind || object || text || problems);

  return (
    <>
      <PageHeader
        title="Events"
        meta={
          synced ? (
            <span data-testid="events-count">
              {filtered ? `${shown.length} of ${events.length}` : events.length} event{events.length === 1 ? '' : 's'} since this tab opened · newest first · last {MAX_EVENTS.toLocaleString('en')} kept
            </span>
          ) : undefined
        }
      />
      <form className="filters" role="search" aria-label="Filter events" onSubmit={(e) => e.preventDefault()}>
        <FilterField label="Kind">
          <select className="input" value={kind} onChange={(e) => set('kind', e.target.value)}>
            {KINDS.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
        </FilterField>
        <FilterField label="Object">
          <input className="input" value={qf.object} placeholder="service, task or node name/ID" onChange={(e) => set('object', e.target.value)} />
        </FilterField>
        <FilterField label="Text" grow>
          <input type="search" className="input input--search" value={text} placeholder="e.g. failed, exit, drain" onChange={(e) => set('q', e.target.value)} />
        </FilterField>
        <label className="check">
          <input type="checkbox" checked={!!problems} onChange={(e) => set('problems', e.target.checked ? '1' : '')} />
          Problems only
        </label>
      </form>
      {!synced ? (
        <Loading what="events" />
      ) : shown.length === 0 ? (
        <EmptyState title={filtered ? 'No matching events' : 'No events yet'}>
          {filtered ? 'Clear a filter to see more.' : 'Changes to services, tasks and nodes appear here live, as they are committed.'}
        </EmptyState>
      ) : (
        <div aria-live="polite" aria-relevant="additions">
          <EventList events={shown} label="Cluster events" />
        </div>
      )}
    </>
  );
}
