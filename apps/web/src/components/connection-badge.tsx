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
      role="status"
      aria-live="polite"
      data-testid="connection-status"
      data-state={conn.kind}
      title={detail ?? (version >= 0 ? `store version ${version}` : undefined)}
    >
      <span className="conn__dot" aria-hidden="true" />
      <span>{LABEL[conn.kind]}</span>
      {version >= 0 && (
        <span className="conn__version" aria-label={`store version ${version}`}>
          v{version}
        </span>
      )}
    </div>
  );
}
