import type { Node, NodeAvailability } from '@swarm/shared';

const STATUS_TONE: Record<Node['status']['state'], string> = { READY: 'ok', DOWN: 'error', DISCONNECTED: 'warn', UNKNOWN: 'muted' };
const AVAILABILITY_TONE: Record<NodeAvailability, string> = { ACTIVE: 'ok', PAUSE: 'warn', DRAIN: 'warn' };

export function NodeStatusBadge({ node }: { node: Node }) {
  const s = node.status.state;
  return (
    <span className={`badge badge--${STATUS_TONE[s]}`} data-testid="node-status" data-state={s}>
      {s.toLowerCase()}
    </span>
  );
}

export function AvailabilityBadge({ node }: { node: Node }) {
  const a = node.spec.availability;
  return (
    <span className={`badge badge--${AVAILABILITY_TONE[a]}`} data-testid="node-availability" data-state={a}>
      {a.toLowerCase()}
    </span>
  );
}

export const nodeHref = (id: string) => `/nodes/view?id=${encodeURIComponent(id)}`;
