import type { ReactNode } from 'react';

/** Sign-in pages: no live stream (it would be refused), just a centred card. */
export default function AuthLayout({ children }: { children: ReactNode }) {
  return (
    <main id="main" className="auth">
      <div className="auth__brand" aria-hidden="true">
        <svg viewBox="0 0 32 32" width="28" height="28">
          <rect width="32" height="32" rx="7" fill="currentColor" />
          <g fill="var(--accent-contrast)">
            <circle cx="10" cy="11" r="3.2" />
            <circle cx="22" cy="11" r="3.2" />
            <circle cx="16" cy="21.5" r="3.2" />
          </g>
        </svg>
        <span>Swarm</span>
      </div>
      {children}
    </main>
  );
}
