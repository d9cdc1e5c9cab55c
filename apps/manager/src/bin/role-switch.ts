/**
 * The node's side of promote/demote: when the role the cluster gives this
 * node (from its dispatcher session) differs from its certificate's role, it
 * renews the certificate (the CA issues the node's current role), then starts
 * or stops its manager part in-process. A demoted manager's Raft state is
 * removed: a removed member never rejoins with its old log.
 *
 *   session node.role ≠ cert role ─► renew ─► MANAGER: start manager (joins Raft)
 *                                          └► WORKER:  stop manager, wipe raft/
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../lib/log.js';

export interface RoleWatch {
  stop(): void;
}

export function watchRole(o: {
  stateDir: string;
  nodeRole(): unknown;
  certRole(): string;
  renew(demoting: boolean): Promise<void>;
  running(): boolean;
  startManager(): Promise<void>;
  stopManager(): Promise<void>;
  log: Logger;
  everyMs?: number;
}): RoleWatch {
  let busy = false;
  const check = async () => {
    const want = o.nodeRole();
    if (busy || (want !== 'MANAGER' && want !== 'WORKER')) return;
    busy = true;
    try {
      if (want !== o.certRole()) {
        o.log.info(`the cluster made this node a ${want.toLowerCase()}: renewing its certificate`);
        await o.renew(want === 'WORKER');
        if (o.certRole() !== want) return; // the answering manager had not seen the change yet; next tick
      }
      if (want === 'MANAGER' && !o.running()) {
        o.log.info('starting the manager part (joining raft)');
        await o.startManager();
      } else if (want === 'WORKER' && o.running()) {
        o.log.info('stopping the manager part (demoted)');
        await o.stopManager();
        fs.rmSync(path.join(o.stateDir, 'raft'), { recursive: true, force: true });
      }
    } catch (e) {
      o.log.warn(`changing role to ${String(want)} failed: ${(e as Error).message}; retrying`);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void check(), o.everyMs ?? 1000);
  return { stop: () => clearInterval(timer) };
}
