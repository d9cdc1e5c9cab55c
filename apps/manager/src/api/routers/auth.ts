import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { createApiToken, listApiTokens, revokeApiToken } from '../../auth/service.js';
import { publicProcedure, router } from '../trpc.js';

/** Only people (signed-in users, or root on the control socket) manage API tokens; tokens cannot mint tokens. */
const personProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.caller.kind === 'token') throw new TRPCError({ code: 'FORBIDDEN', message: 'API tokens cannot manage API tokens' });
  return next();
});

export const authRouter = router({
  me: publicProcedure.query(({ ctx }) => ctx.caller),
  listTokens: personProcedure.query(({ ctx }) => listApiTokens(ctx.store)),
  createToken: personProcedure.input(z.object({ name: z.string().trim().min(1, 'name is required').max(64) })).mutation(async ({ ctx, input }) => {
    const by = ctx.caller.kind === 'user' ? ctx.caller.name : 'control-socket';
    const r = await createApiToken(ctx.store, input.name, by);
    if (!r.ok) throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: r.error });
    return r.value;
  }),
  revokeToken: personProcedure.input(z.object({ id: z.string() })).mutation(async ({ ctx, input }) => {
    const r = await revokeApiToken(ctx.store, input.id);
    if (!r.ok) throw new TRPCError({ code: 'NOT_FOUND', message: r.error });
    return { id: input.id };
  }),
});
