'use client';
import { useSyncExternalStore } from 'react';

/**
 * One shared 1 s clock per tab for relative times ("12 seconds"). This is a
 * render tick, not a data poll: the data itself only changes via the stream.
 */
const listeners = new Set<() => void>();
let now = 0;
let timer: ReturnType<typeof setInterval> | undefined;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (!timer) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const l of listeners) l();
    }, 1000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

export function useNow(): number {
  return useSyncExternalStore(
    subscribe,
    () => {
      // Read before the first subscription: pin a value so repeated reads agree.
      if (!now) now = Date.now();
      return now;
    },
    () => 0,
  );
}
