import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Unit tests for the dashboard's pure modules (live store, selectors, parsing). */
export default defineConfig({
  resolve: { alias: { '@swarm/shared': fileURLToPath(new URL('../../packages/shared/src/index.ts', import.meta.url)) } },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
