import { z } from 'zod';
import { NodeUpdateInput, RefInput } from '@swarm/shared';
import { removeNode, updateNode } from '../../control/nodes.js';
import { resolve } from '../../control/resolve.js';
import { publicProcedure, router, unwrap } from '../trpc.js';

export const nodeRouter = router({
  list: publicProcedure.query(({ ctx }) => ctx.store.view((tx) => tx.list('nodes'))),
  get: publicProcedure.input(RefInput).query(({ ctx, input }) => unwrap(ctx.store.view((tx) => resolve(tx, 'nodes', input.ref)))),
  update: publicProcedure.input(NodeUpdateInput).mutation(async ({ ctx, input }) => unwrap(await updateNode(ctx.store, input))),
  remove: publicProcedure
    .input(RefInput.extend({ force: z.boolean().optional() }))
    .mutation(async ({ ctx, input }) => unwrap(await removeNode(ctx.store, { ...input, self: ctx.self.nodeId }))),
});
