'use client';
import { useEffect, useState } from 'react';
import { fetchAuthStatus, signOut, type AuthStatus } from './session';

/** The signed-in user and a sign-out button; nothing when the manager has no sign-in. */
export function UserMenu() {
  const [status, setStatus] = useState<AuthStatus | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let cancelled = false;
    fetchAuthStatus()
      .then((s) => !cancelled && setStatus(s))
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, []);

  if (!status?.enabled || !status.authenticated) return null;
  return (
    <div className="user-menu" data-testid="user-menu">
      {status.user && <span className="user-menu__name">{status.user}</span>}
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
    </div>
  );
}
