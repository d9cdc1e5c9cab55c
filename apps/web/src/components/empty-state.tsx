import type { ReactNode } from 'react';

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty__title">{title}</p>
      {children && <div className="empty__body">{children}</div>}
    </div>
  );
}

/** Shown until the first snapshot arrives. */
export function Loading({ what }: { what: string }) {
  return (
    <div className="empty" role="status" aria-live="polite">
      <p className="empty__title">Loading {what}…</p>
    </div>
  );
}
