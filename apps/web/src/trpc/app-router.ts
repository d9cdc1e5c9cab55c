/**
 * The API's type, and nothing else: the manager's router crosses the package
 * boundary as a type only, so no server code can leak into the bundle.
 */
import type { AppRouter } from '@swarm/manager/api';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';

export type { AppRouter };
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
