export { appRouter, type AppRouter } from './root.js';
export type { ApiContext } from './trpc.js';
