'use client';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '../trpc/react';
import { signOut } from './session';

/**
 * Who is signed in (`auth.me`, asked once per tab: not live data) and a
 * sign-out button. Nothing on a manager without sign-in (the caller is then
 * the trusted "socket" kind) or before the answer arrives.
 */
export function UserMenu() {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  const [busy, setBusy] = useState(false);
  const caller = me.data;
  if (!caller || (caller.kind !== 'user' && caller.kind !== 'token')) return null;
  return (
    <div className="user-menu" data-testid="user-menu">
      <span className="user-menu__name">
        <span className="sr-only">Signed in as </span>
        <svg aria-hidden="true" viewBox="0 0 16 16" width="14" height="14" className="user-menu__icon">
          <circle cx="8" cy="5.5" r="3" fill="currentColor" />
          <path d="M2.5 14c.6-3 2.8-4.5 5.5-4.5s4.9 1.5 5.5 4.5" fill="currentColor" />
        </svg>
        {caller.name}
        {caller.kind === 'token' && <span className="sub"> (API token)</span>}
      </span>
      {caller.kind === 'user' && (
        <button
          type="button"
          className="btn btn--small"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            await signOut();
            location.assign('/signin');
          }}
        >
          Sign out
        </button>
      )}
    </div>
  );
}
