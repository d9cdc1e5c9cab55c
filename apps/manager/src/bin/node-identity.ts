/** The node's identity on disk: `<state-dir>/node.json`, created on first start. */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { formatZodError, newId } from '@swarm/shared';

const NodeFileSchema = z.object({ nodeId: z.string().regex(/^[0-9a-z]{25}$/, 'must be a 25-character node ID') });

export function loadOrCreateNodeId(stateDir: string): string {
  const file = path.join(stateDir, 'node.json');
  if (fs.existsSync(file)) {
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
    }
    const parsed = NodeFileSchema.safeParse(json);
    if (!parsed.success) throw new Error(`${file}: ${formatZodError(parsed.error)}`);
    return parsed.data.nodeId;
  }
  const nodeId = newId();
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ nodeId }) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
  return nodeId;
}
