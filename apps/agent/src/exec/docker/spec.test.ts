import { describe, expect, it } from 'vitest';
import { LABEL, PortConfigSchema } from '@swarm/shared';
import { makeTask } from '../../testing/tasks.js';
import { createOptions, graceSeconds } from './spec.js';

describe('docker create options', () => {
  it('maps command to Entrypoint and args to Cmd; defaults Init on and network none', () => {
    const t = makeTask({ command: ['sh', '-c'], args: ['echo hi'], container: { user: 'nobody', labels: { a: 'b' } } });
    const o = createOptions(t, { [LABEL.testRun]: 'r1' });
    expect(o).toMatchObject({
      Image: 'local/busybox:1',
      Entrypoint: ['sh', '-c'],
      Cmd: ['echo hi'],
      User: 'nobody',
      HostConfig: { Init: true, NetworkMode: 'none' },
      Labels: { a: 'b', [LABEL.testRun]: 'r1', [LABEL.managed]: 'true', [LABEL.taskId]: t.id },
    });
  });

  it('leaves the image entrypoint alone without a command, honours init: false, limits and host ports', () => {
    const t = makeTask({ args: ['sleep', '1'], container: { init: false } });
    t.spec.resources.limits = { nanoCpus: 5e8, memoryBytes: 64 << 20, generic: {} };
    t.endpoint = { ports: [PortConfigSchema.parse({ targetPort: 80, publishedPort: 8080, publishMode: 'host' })] };
    const o = createOptions(t);
    expect(o.Entrypoint).toBeUndefined();
    expect(o.HostConfig).toMatchObject({ Init: false, NetworkMode: 'host', NanoCpus: 5e8, Memory: 64 << 20 });
  });

  it('converts the health check to nanoseconds and the grace period to whole seconds', () => {
    const t = makeTask({ container: { healthcheck: { test: ['CMD', 'true'], intervalMs: 100, timeoutMs: 2000, retries: 3, startPeriodMs: 0 }, stopGracePeriodMs: 1500 } });
    expect(createOptions(t).Healthcheck).toEqual({ Test: ['CMD', 'true'], Interval: 100e6, Timeout: 2000e6, Retries: 3, StartPeriod: 0 });
    expect(graceSeconds(t)).toBe(2);
    expect(graceSeconds(makeTask())).toBe(10);
  });

  it('uses the host network only when asked, or when the task publishes host ports', () => {
    const t = makeTask();
    expect(createOptions(t).HostConfig?.NetworkMode).toBe('none');
    expect(createOptions(t, {}, 'host').HostConfig?.NetworkMode).toBe('host');
  });
});
