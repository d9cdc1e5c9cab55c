import { authRouter } from './routers/auth.js';
import { clusterRouter, systemRouter } from './routers/cluster.js';
import { nodeRouter } from './routers/node.js';
import { serviceRouter } from './routers/service.js';
import { taskRouter } from './routers/task.js';
import { watchRouter } from './routers/watch.js';
import { router } from './trpc.js';

export const appRouter = router({
  cluster: clusterRouter,
  node: nodeRouter,
  service: serviceRouter,
  task: taskRouter,
  watch: watchRouter,
  system: systemRouter,
  auth: authRouter,
});

export type AppRouter = typeof appRouter;
