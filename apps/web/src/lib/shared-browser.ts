/**
 * Browser build of `@swarm/shared`, aliased in next.config.ts for client
 * bundles only (type-checking still sees the real package).
 *
 * Why: the package index re-exports `lib/ids.js`, which imports
 * `node:crypto` for server-side ID generation. Turbopack resolves Node
 * built-ins to its crypto-browserify polyfill before user aliases apply, so
 * every tab would download ~600 KB for a function the dashboard never calls.
 * This facade re-exports every module except `lib/ids`.
 * TODO: drop once `@swarm/shared` is browser-safe (e.g. ids.ts uses
 * `globalThis.crypto.getRandomValues`, available in Node 20 too).
 */
export * from '../../../../packages/shared/dist/lib/result.js';
export * from '../../../../packages/shared/dist/lib/clock.js';
export * from '../../../../packages/shared/dist/task-state.js';
export * from '../../../../packages/shared/dist/objects.js';
export * from '../../../../packages/shared/dist/events.js';
export * from '../../../../packages/shared/dist/schemas.js';
export * from '../../../../packages/shared/dist/duration.js';
export * from '../../../../packages/shared/dist/naming.js';
export * from '../../../../packages/shared/dist/watch.js';
