import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { type Cluster, ClusterUpdateInput } from '@swarm/shared';
import { caFingerprint } from '@swarm/pki';
import { updateCluster } from '../../control/cluster.js';
import { advertisedOf, joinAddrFor, joinCommands, remoteApiOf } from '../../install/commands.js';
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
  /**
   * What the Join page shows: for each role the token, the `swarmd` line and
   * the installer one-liner. `url` overrides the manager URL put in the
   * installer line (the dashboard passes its own origin); by default it is
   * this manager's HTTP listener.
   */
  joinCommands: publicProcedure
    .input(z.object({ url: z.string().regex(/^https?:\/\/[A-Za-z0-9.\-]+(:\d+)?$|^https?:\/\/\[[0-9A-Fa-f:.]+\](:\d+)?$/, 'must be http(s)://host[:port]').optional() }).default({}))
    .query(({ ctx, input }) => {
      const c = ctx.store.view((tx) => tx.list('clusters')[0]);
      if (!c?.rootCa) throw new TRPCError({ code: 'NOT_FOUND', message: 'cluster default not found' });
      const own = advertisedOf(ctx.store);
      const advertised = input.url ? { url: input.url, clusterCaTls: input.url.startsWith('https://') && (own?.clusterCaTls ?? true) } : own;
      const remoteApi = joinAddrFor(remoteApiOf(ctx.store, ctx.self.nodeId) ?? '', advertised ? new URL(advertised.url).host : undefined);
      return joinCommands({ caCert: c.rootCa.caCert, tokens: c.rootCa.joinTokens, remoteApi, advertised });
    }),
  update: publicProcedure
    .input(ClusterUpdateInput)
    .mutation(async ({ ctx, input }) => redactCluster(unwrap(await updateCluster(ctx.store, input, ctx.config)))),
});

export const systemRouter = router({
  version: publicProcedure.query(({ ctx }) => ({ version: ctx.self.version, nodeId: ctx.self.nodeId })),
});
