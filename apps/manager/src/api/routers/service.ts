import { RefInput, ServiceCreateInput, ServiceScaleInput, ServiceUpdateInput, type ServiceSpec } from '@swarm/shared';
import { resolve } from '../../control/resolve.js';
import { createService, removeService, rollbackService, scaleService, serviceCounts, updateService } from '../../control/services.js';
import { publicProcedure, router, unwrap } from '../trpc.js';

export const serviceRouter = router({
  list: publicProcedure.query(({ ctx }) =>
    ctx.store.view((tx) => tx.list('services').map((service) => ({ service, ...serviceCounts(tx, service) }))),
  ),
  get: publicProcedure.input(RefInput).query(({ ctx, input }) => unwrap(ctx.store.view((tx) => resolve(tx, 'services', input.ref)))),
  create: publicProcedure
    .input(ServiceCreateInput)
    .mutation(async ({ ctx, input }) => unwrap(await createService(ctx.store, input.spec as ServiceSpec))),
  update: publicProcedure
    .input(ServiceUpdateInput)
    .mutation(async ({ ctx, input }) => unwrap(await updateService(ctx.store, { ...input, spec: input.spec as ServiceSpec }))),
  scale: publicProcedure.input(ServiceScaleInput).mutation(async ({ ctx, input }) => unwrap(await scaleService(ctx.store, input.ref, input.replicas))),
  /** Return to the previous spec (SwarmKit `UpdateService` with rollback = PREVIOUS). */
  rollback: publicProcedure.input(RefInput).mutation(async ({ ctx, input }) => unwrap(await rollbackService(ctx.store, input.ref))),
  remove: publicProcedure.input(RefInput).mutation(async ({ ctx, input }) => unwrap(await removeService(ctx.store, input.ref))),
});
