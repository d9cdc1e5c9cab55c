import { createTRPCContext } from '@trpc/tanstack-react-query';
import type { AppRouter } from './app-router';

/** `useTRPC()` gives typed `queryOptions()` / `mutationOptions()` factories. */
export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();
