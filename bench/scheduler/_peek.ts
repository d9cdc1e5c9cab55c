import { apiClient } from '../../apps/manager/test/harness.js';
import { taskStateName } from '@swarm/shared';
const c = apiClient('/tmp/swarmd-test-ddOqvo/swarm.sock');
const t0 = Date.now();
const ts = await c.task.list.query({ all: true });
const h: Record<string, number> = {};
for (const t of ts) { const k = taskStateName(t.status.state) + '/' + taskStateName(t.desiredState); h[k] = (h[k] ?? 0) + 1; }
console.log(Date.now() - t0, 'ms', JSON.stringify(h));
const ns = await c.node.list.query();
const nh: Record<string, number> = {};
for (const n of ns) nh[n.status.state] = (nh[n.status.state] ?? 0) + 1;
console.log(JSON.stringify(nh));
const errs = new Set(ts.map((t) => t.status.err).filter(Boolean)); console.log([...errs].slice(0, 5));
