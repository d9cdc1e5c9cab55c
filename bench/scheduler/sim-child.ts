/** Child process of the scheduler bench: runs its share of simulated nodes (see sim-procs.ts). */
// tsx turns source maps on, which makes every Error's stack cost a source-map lookup per frame: grpc-js
// reads the stack of each failed call, and under a stalled manager (deadlines passing on thousands of
// sessions) that alone took 14 % of a child's CPU. The agents themselves run as plain JavaScript.
process.setSourceMapsEnabled(false);
import { type FromChild, ToChildSchema, benchShape } from './sim-procs.js';
import { type SimNodes, startSimNodes } from './sim-nodes.js';

const send = (m: FromChild) => process.send?.(m);
let nodes: SimNodes | undefined;

// The bench went away without a word (killed): stop the nodes and exit rather than run on orphaned.
process.on('disconnect', () => {
  const exit = () => process.exit(0);
  (nodes?.stop() ?? Promise.resolve()).then(exit, exit);
});

process.on('message', (raw) => {
  const m = ToChildSchema.safeParse(raw);
  if (!m.success) return send({ kind: 'fatal', error: `bad message from the bench: ${m.error.message}` });
  if (m.data.kind === 'setup') {
    const { addr, token, first, count, concurrency, tmpPrefix } = m.data;
    // BENCH_UNARY_REPORTS=1 (inherited from the bench): the unary-call baseline of the Report stream.
    startSimNodes({ addr, token, first, count, concurrency, tmpPrefix, unaryReports: process.env['BENCH_UNARY_REPORTS'] === '1', describe: benchShape, onProgress: (n) => n % 50 === 0 && send({ kind: 'progress', joined: n }) })
      .then((s) => {
        nodes = s;
        send({ kind: 'progress', joined: count });
        send({ kind: 'ready', ids: s.ids });
      })
      .catch((e: Error) => send({ kind: 'fatal', error: e.stack ?? e.message }));
  } else if (m.data.kind === 'rpc') {
    send({ kind: 'rpc', counts: nodes?.rpc() ?? {} });
  } else {
    const done = () => {
      send({ kind: 'stopped' });
      process.exit(0);
    };
    (nodes?.stop() ?? Promise.resolve()).then(done, done);
  }
});
