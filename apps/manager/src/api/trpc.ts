/** The one tRPC init: context, error shape and the procedure builders. */
import { TRPCError, initTRPC } from '@trpc/server';
import { ZodError } from 'zod';
import { type Result, formatZodError } from '@swarm/shared';
import type { ControlError } from '../control/errors.js';
import type { Store } from '../store/store.js';

/** Who is calling: the control socket (trusted), a signed-in user, an API token, or nobody. */
export type Caller = { kind: 'socket' } | { kind: 'user'; name: string } | { kind: 'token'; id: string; name: string } | { kind: 'anonymous' };

export interface ApiContext {
  caller: Caller;
  store: Store;
  /** This manager. */
  self: { nodeId: string; version: string };
  config: { minCertExpiryMs: number };
  /**
   * Linearizable read barrier (Raft ReadIndex): resolves once this manager's
   * store has every write committed before the call. Absent: reads are local.
   */
  readBarrier?: (() => Promise<void>) | undefined;
}

/** Request header that asks for a local (possibly stale) read instead of a ReadIndex round. */
export { STALE_READ_HEADER } from '@swarm/shared';

const t = initTRPC.context<ApiContext>().create({
  isDev: false,
  errorFormatter({ shape, error }) {
    // Input validation errors read "field.path: what is wrong; ...".
    if (error.cause instanceof ZodError) return { ...shape, message: formatZodError(error.cause) };
    return shape;
  },
});

export const router = t.router;
/**
 * Every procedure requires an authenticated caller. The HTTP edge already
 * refuses anonymous requests; this is the second lock on the same door.
 */
export const publicProcedure = t.procedure.use(async ({ ctx, type, next }) => {
  if (ctx.caller.kind === 'anonymous') throw new TRPCError({ code: 'UNAUTHORIZED', message: 'authentication required' });
  if (type === 'query' && ctx.readBarrier) {
    try {
      await ctx.readBarrier();
    } catch (e) {
      throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: `consistent read failed: ${(e as Error).message} (ask for a stale read to read this manager's copy)` });
    }
  }
  return next();
});

/** Unwraps a control Result into a value or a TRPCError with the right code. */
export function unwrap<T>(r: Result<T, ControlError | string>): T {
  if (r.ok) return r.value;
  const e = r.error;
  if (typeof e === 'string') throw new TRPCError({ code: 'NOT_FOUND', message: e });
  const code = e.code === 'UNAVAILABLE' ? 'INTERNAL_SERVER_ERROR' : e.code;
  throw new TRPCError({ code, message: e.message });
}
