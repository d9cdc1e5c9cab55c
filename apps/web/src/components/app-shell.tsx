'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { ReactNode } from 'react';
import { SessionGuard } from '../auth/session-guard';
import { UserMenu } from '../auth/user-menu';
import { ClusterSummary } from './cluster-summary';
import { ConnectionBadge } from './connection-badge';

const NAV = [
  { href: '/', label: 'Overview', match: (p: string) => p === '/' },
  { href: '/services', label: 'Services', match: (p: string) => p.startsWith('/services') },
  { href: '/nodes', label: 'Nodes', match: (p: string) => p.startsWith('/nodes') },
  { href: '/tasks', label: 'Tasks', match: (p: string) => p.startsWith('/tasks') },
  { href: '/events', label: 'Events', match: (p: string) => p.startsWith('/events') },
  { href: '/join', label: 'Join', match: (p: string) => p.startsWith('/join') },
  { href: '/settings', label: 'Settings', match: (p: string) => p.startsWith('/settings') },
] as const;

export function AppShell({ children }: { children: ReactNode }) {
  const pathname = usePathname() ?? '/';
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <div className="app-header__row">
          <Link href="/" className="brand" aria-label="Swarm dashboard home">
            <svg aria-hidden="true" viewBox="0 0 32 32" width="22" height="22">
              <rect width="32" height="32" rx="7" fill="currentColor" />
              <g fill="var(--accent-contrast)">
                <circle cx="10" cy="11" r="3.2" />
                <circle cx="22" cy="11" r="3.2" />
                <circle cx="16" cy="21.5" r="3.2" />
              </g>
            </svg>
            <span>Swarm</span>
          </Link>
          <ClusterSummary />
          <ConnectionBadge />
          <UserMenu />
        </div>
        <nav className="app-nav" aria-label="Main">
          <ul>
            {NAV.map((item) => {
              const active = item.match(pathname);
              return (
                <li key={item.href}>
                  <Link href={item.href} className="app-nav__link" aria-current={active ? 'page' : undefined}>
                    {item.label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
      </header>
      <SessionGuard />
      <main id="main" className="app-main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
