import { TRPCError } from '@trpc/server';
import { type Cluster, ClusterUpdateInput } from '@swarm/shared';
import { caFingerprint } from '@swarm/pki';
import { updateCluster } from '../../control/cluster.js';
import { publicProcedure, router, unwrap } from '../trpc.js';

/** The CA key never leaves the managers' store. */
export const redactCluster = (c: Cluster): Cluster => {
  const { auth: _auth, ...rest } = c;
  if (!rest.rootCa) return rest;
  const { caKey: _, ...rootCa } = rest.rootCa;
  return { ...rest, rootCa };
};

export const clusterRouter = router({
  inspect: publicProcedure.query(({ ctx }) => {
    const c = ctx.store.view((tx) => tx.list('clusters')[0]);
    if (!c) throw new TRPCError({ code: 'NOT_FOUND', message: 'cluster default not found' });
    return { ...redactCluster(c), caFingerprint: c.rootCa ? caFingerprint(c.rootCa.caCert) : undefined };
  }),
  update: publicProcedure
    .input(ClusterUpdateInput)
    .mutation(async ({ ctx, input }) => redactCluster(unwrap(await updateCluster(ctx.store, input, ctx.config)))),
});

export const systemRouter = router({
  version: publicProcedure.query(({ ctx }) => ({ version: ctx.self.version, nodeId: ctx.self.nodeId })),
});
