/**
 * Constraint evaluation against nodes (swarmkit.md §6). Parsing lives in
 * `@swarm/shared` (the API, CLI and dashboard validate with the same parser);
 * this module compiles parsed constraints into node predicates. Values compare
 * case-insensitively; a missing attribute is "", so `==` fails and `!=`
 * passes; an unknown key never matches. Pure.
 */
import { type Constraint, type Node, type Result, classifyKey, cidrContains, err, ok, parseCidr, parseConstraints, parseIp } from '@swarm/shared';

export { parseConstraint, parseConstraints } from '@swarm/shared';

export type NodeMatcher = (node: Node) => boolean;

/** "10.0.0.1:4242" or "[::1]:4242" → the address part. */
function addrHost(addr: string): string {
  const v6 = /^\[([^\]]+)\]/.exec(addr);
  if (v6) return v6[1]!;
  const colons = addr.split(':').length - 1;
  return colons === 1 ? addr.slice(0, addr.indexOf(':')) : addr;
}

function ipMatcher(c: Constraint): NodeMatcher {
  const want = c.value.trim();
  const net = parseCidr(want);
  const ip = net ? null : parseIp(want);
  const eq = (node: Node): boolean => {
    const have = parseIp(addrHost(node.status.addr));
    if (!have) return false;
    if (net) return cidrContains(net, have);
    return ip !== null && ip.every((b, i) => b === have[i]);
  };
  // A malformed value never matches (for both operators), as in SwarmKit.
  if (!net && !ip) return () => false;
  return c.op === '==' ? eq : (n) => !eq(n);
}

/** Compiles one constraint. */
export function compileConstraint(c: Constraint): NodeMatcher {
  const key = classifyKey(c.key);
  if (!key) return () => false;
  if (key.kind === 'node.ip') return ipMatcher(c);
  const want = c.value.toLowerCase();
  let get: (n: Node) => string | undefined;
  switch (key.kind) {
    case 'node.id': get = (n) => n.id; break;
    case 'node.hostname': get = (n) => n.description?.hostname; break;
    case 'node.role': get = (n) => n.role; break;
    case 'node.platform.os': get = (n) => n.description?.platform.os; break;
    case 'node.platform.arch': get = (n) => n.description?.platform.architecture; break;
    case 'node.labels': { const l = key.label; get = (n) => n.spec.annotations.labels[l]; break; }
    case 'engine.labels': { const l = key.label; get = (n) => n.description?.engine.labels[l]; break; }
  }
  const eq = (n: Node) => (get(n) ?? '').toLowerCase() === want;
  return c.op === '==' ? eq : (n) => !eq(n);
}

/** All constraints ANDed; a parse error is returned (the caller decides: SwarmKit disables the filter). */
export function compileConstraints(list: readonly string[]): Result<NodeMatcher, string> {
  const parsed = parseConstraints(list);
  if (!parsed.ok) return err(`constraint ${parsed.error.index}: ${parsed.error.message} at position ${parsed.error.position}`);
  const ms = parsed.value.map(compileConstraint);
  return ok((n) => {
    for (const m of ms) if (!m(n)) return false;
    return true;
  });
}
