'use client';
import { useConnection, useVersion } from '../live/hooks';

const LABEL = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', error: 'Stream error' } as const;

/** Whether the view is current: the stream's state and the store version shown. */
export function ConnectionBadge() {
  const conn = useConnection();
  const version = useVersion();
  const detail = conn.kind === 'error' || conn.kind === 'reconnecting' ? conn.error : undefined;
  return (
    <div
      className={`conn conn--${conn.kind}`}
      data-testid="connection-status"
      data-state={conn.kind}
      title={detail ?? (version >= 0 ? `store version ${version}` : undefined)}
    >
      <span className="conn__dot" aria-hidden="true" />
      {/* Only the state is a live region: the version changes on every commit. */}
      <span role="status" aria-live="polite">
        {LABEL[conn.kind]}
      </span>
      {version >= 0 && (
        <span className="conn__version">
          <span className="sr-only">store version </span>v{version}
        </span>
      )}
    </div>
  );
}
