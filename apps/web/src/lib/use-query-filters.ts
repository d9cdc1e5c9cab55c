'use client';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * Filter values kept in the query string (so a view can be reloaded or
 * shared) but owned by local state, so typing and clicking update at once:
 * `router.replace` is asynchronous, and controlled inputs bound straight to
 * the URL would drop keystrokes and bounce checkboxes.
 */
export function useQueryFilters<K extends string>(keys: readonly K[]): [Record<K, string>, (key: K, value: string) => void] {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const read = () => Object.fromEntries(keys.map((k) => [k, params.get(k) ?? ''])) as Record<K, string>;
  const [values, setValues] = useState<Record<K, string>>(read);
  const latest = useRef(values);
  latest.current = values;

  // Back/forward or a link to another filtered view: adopt the URL.
  const qs = params.toString();
  const written = useRef(qs);
  useEffect(() => {
    if (qs !== written.current) {
      written.current = qs;
      setValues(read());
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [qs]);

  const set = useCallback(
    (key: K, value: string) => {
      const next = { ...latest.current, [key]: value };
      latest.current = next;
      setValues(next);
      const p = new URLSearchParams(window.location.search);
      for (const k of keys) {
        if (next[k]) p.set(k, next[k]);
        else p.delete(k);
      }
      const s = p.toString();
      written.current = s;
      router.replace(s ? `${pathname}?${s}` : pathname, { scroll: false });
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [router, pathname],
  );
  return [values, set];
}
