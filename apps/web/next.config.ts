import type { NextConfig } from 'next';

/**
 * The dashboard is a static export: every manager serves `out/` at `/` on the
 * same origin as the tRPC API (`/trpc`, HTTP + WebSocket), so there is no
 * Next server in production and no CORS. Detail pages take their ID
 * from the query string (`/services/view?id=…`) because static export cannot
 * pre-render dynamic segments for IDs that only exist at runtime.
 */
const isDev = process.env.NODE_ENV === 'development';

const config: NextConfig = {
  output: 'export',
  trailingSlash: false,
  reactStrictMode: true,
  poweredByHeader: false,
  images: { unoptimized: true },
  devIndicators: false,
  // `next dev` only: proxy the API (HTTP and WebSocket) to a running node, so
  // the dev server behaves like the manager's same-origin setup.
  ...(isDev && {
    rewrites: async () => [{ source: '/trpc/:path*', destination: `${process.env['SWARM_API'] ?? 'http://127.0.0.1:4280'}/trpc/:path*` }],
  }),
  turbopack: {
    // Client bundles get a browser-safe facade of @swarm/shared (see the file).
    resolveAlias: { '@swarm/shared': { browser: './src/lib/shared-browser.ts' } },
  },
};

export default config;
