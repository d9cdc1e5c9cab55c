'use client';
import { useEffect, useRef } from 'react';
import { useConnection } from '../live/hooks';
import { fetchAuthStatus, signInUrl } from './session';

/**
 * When the stream cannot (re)connect, asks whether the session ended (expired
 * or signed out elsewhere) and, if so, goes to the sign-in page and back here
 * afterwards. Checks at most every 5 s; renders nothing.
 */
export function SessionGuard() {
  const conn = useConnection();
  const lastCheck = useRef(0);
  const trouble = conn.kind === 'reconnecting' || conn.kind === 'error';

  useEffect(() => {
    if (!trouble || Date.now() - lastCheck.current < 5_000) return;
    lastCheck.current = Date.now();
    let cancelled = false;
    fetchAuthStatus()
      .then((s) => {
        if (!cancelled && s.enabled && !s.authenticated) location.assign(signInUrl());
      })
      .catch(() => undefined); // the manager is down: keep showing "Reconnecting…"
    return () => {
      cancelled = true;
    };
  }, [trouble, conn]);

  return null;
}
