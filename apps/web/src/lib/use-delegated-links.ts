'use client';
import { useRouter } from 'next/navigation';
import { useCallback, type MouseEvent } from 'react';

/**
 * Client-side navigation for plain `<a href>` inside a container (one handler
 * for a whole table instead of a `next/link` per row: rows of a 10,000-task
 * list mount and unmount while scrolling, and should cost as little as
 * possible). Modified clicks (new tab, download…) keep the browser's behaviour.
 */
export function useDelegatedLinks(): (e: MouseEvent<HTMLElement>) => void {
  const router = useRouter();
  return useCallback(
    (e: MouseEvent<HTMLElement>) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const a = (e.target as Element).closest('a');
      if (!a || a.target || a.hasAttribute('download') || a.origin !== window.location.origin) return;
      e.preventDefault();
      router.push(a.pathname + a.search);
    },
    [router],
  );
}
