import type { NextConfig } from 'next';

/**
 * The dashboard is a static export: every manager serves `out/` at `/` on the
 * same origin as the tRPC API (`/trpc`, HTTP + WebSocket), so there is no
 * Next server at runtime, no CORS and no rewrites. Detail pages take their ID
 * from the query string (`/services/view?id=…`) because static export cannot
 * pre-render dynamic segments for IDs that only exist at runtime.
 */
const config: NextConfig = {
  output: 'export',
  trailingSlash: false,
  reactStrictMode: true,
  poweredByHeader: false,
  images: { unoptimized: true },
  devIndicators: false,
  turbopack: {
    // Client bundles get a browser-safe facade of @swarm/shared (see the file).
    resolveAlias: { '@swarm/shared': { browser: './src/lib/shared-browser.ts' } },
  },
};

export default config;
