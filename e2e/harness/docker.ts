/** The few Docker CLI calls the tests need: find, kill and clean up our containers. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LABEL } from '@swarm/shared';

const exec = promisify(execFile);

async function docker(args: string[]): Promise<string> {
  const { stdout } = await exec('docker', args, { timeout: 30_000 });
  return stdout.trim();
}

/** IDs of containers matching every `label=value` filter (running only unless `all`). */
export async function containerIds(labels: Record<string, string>, opts: { all?: boolean } = {}): Promise<string[]> {
  const filters = Object.entries(labels).flatMap(([k, v]) => ['--filter', `label=${k}=${v}`]);
  const out = await docker(['ps', '-q', '--no-trunc', ...(opts.all ? ['-a'] : []), ...filters]);
  return out ? out.split('\n') : [];
}

export const containersOfTask = (taskId: string, runLabel: string) => containerIds({ [LABEL.taskId]: taskId, [LABEL.testRun]: runLabel });
export const containersOfService = (name: string, runLabel: string) => containerIds({ [LABEL.serviceName]: name, [LABEL.testRun]: runLabel });

export async function kill(containerId: string): Promise<void> {
  await docker(['kill', containerId]);
}

/** Force-removes every container this test run created (running or not). */
export async function removeRunContainers(runLabel: string): Promise<number> {
  const ids = await containerIds({ [LABEL.testRun]: runLabel }, { all: true });
  if (ids.length > 0) await docker(['rm', '-f', ...ids]);
  return ids.length;
}

export async function dockerAvailable(): Promise<boolean> {
  try {
    await docker(['version', '--format', '{{.Server.Version}}']);
    return true;
  } catch {
    return false;
  }
}
