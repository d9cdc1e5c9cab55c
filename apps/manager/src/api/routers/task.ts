import { RefInput, TaskListInput, TaskState } from '@swarm/shared';
import { resolve } from '../../control/resolve.js';
import { publicProcedure, router, unwrap } from '../trpc.js';

export const taskRouter = router({
  list: publicProcedure.input(TaskListInput).query(({ ctx, input }) =>
    ctx.store.view((tx) => {
      let tasks = tx.list('tasks');
      if (input.service) {
        const s = unwrap(resolve(tx, 'services', input.service));
        tasks = tx.tasksByService(s.id);
      }
      if (input.node) {
        const n = unwrap(resolve(tx, 'nodes', input.node));
        tasks = tasks.filter((t) => t.nodeId === n.id);
      }
      if (!input.all) tasks = tasks.filter((t) => t.desiredState <= TaskState.RUNNING);
      return tasks;
    }),
  ),
  get: publicProcedure.input(RefInput).query(({ ctx, input }) => unwrap(ctx.store.view((tx) => resolve(tx, 'tasks', input.ref)))),
});
