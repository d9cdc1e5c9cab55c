import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against sources, so a stale dist never hides a change.
    alias: {
      '@swarm/shared': src('./packages/shared/src/index.ts'),
      '@swarm/raft': src('./packages/raft/src/index.ts'),
      '@swarm/pki': src('./packages/pki/src/index.ts'),
      '@swarm/agent': src('./apps/agent/src/index.ts'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'apps/web/.next/**', 'apps/web/out/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The leader also decodes the Raft entries it applies from its own commits, and checks they give the same
    // objects (store/replicated.ts); the managers the tests start inherit it.
    env: { SWARM_CHECK_OWN_ENTRIES: '1' },
  },
});
