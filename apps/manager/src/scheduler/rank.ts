/**
 * Ranking: spread over a decision tree (SwarmKit's `decision_tree.go`,
 * `nodeset.go`). Each placement preference (`spread=node.labels.zone`) adds a
 * level keyed by the node's label value (missing label → ""); a task goes down
 * the branch holding the fewest tasks of its service, so branches are evened
 * out level by level, in the order the preferences are given. A leaf keeps its
 * nodes in a binary heap ordered by (tasks of this service, tasks overall, id):
 * "less is better", so a leaf fills evenly. Taking a node costs O(depth ×
 * branching + log n) — the same with 100 nodes or 5,000.
 */
import type { Node } from '@swarm/shared';
import type { NodeInfo } from './node-info.js';

/**
 * A heap entry caches the node's rank keys: while a group is placed only the
 * node just taken changes, and it is re-pushed with fresh keys.
 */
interface Entry {
  info: NodeInfo;
  /** Active tasks of the group's service. */
  s: number;
  /** Active tasks overall. */
  a: number;
}

/** Spread: fewer active tasks of the service, then fewer active tasks overall, then node ID. */
const less = (x: Entry, y: Entry): boolean => (x.s !== y.s ? x.s < y.s : x.a !== y.a ? x.a < y.a : x.info.node.id < y.info.node.id);

export interface NodeHeap {
  size(): number;
  push(n: NodeInfo): void;
  pop(): NodeInfo | undefined;
}

/** A binary min-heap of nodes in spread order for one service. */
export function createNodeHeap(serviceId: string): NodeHeap {
  const a: Entry[] = [];
  const swap = (i: number, j: number) => {
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  };
  return {
    size: () => a.length,
    push(info) {
      a.push({ info, s: info.perService.get(serviceId) ?? 0, a: info.active });
      for (let i = a.length - 1; i > 0; ) {
        const p = (i - 1) >> 1;
        if (!less(a[i]!, a[p]!)) break;
        swap(i, p);
        i = p;
      }
    },
    pop() {
      const top = a[0];
      const last = a.pop();
      if (a.length === 0 || last === undefined) return top?.info;
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        swap(i, m);
        i = m;
      }
      return top?.info;
    },
  };
}

export interface Branch {
  /** Active tasks of the service on this branch's nodes. */
  count: number;
  /** Children by label value, in key order (absent on leaves). */
  children?: Array<{ key: string; branch: Branch }>;
  heap?: NodeHeap;
  /** Children (or heap nodes) that can still take tasks. */
  alive: number;
  parent?: Branch;
}

/** How a spread descriptor reads a node; null for descriptors SwarmKit ignores. */
export function labelReader(descriptor: string): ((n: Node) => string) | null {
  const lower = descriptor.toLowerCase();
  if (lower.startsWith('node.labels.')) {
    const k = descriptor.slice('node.labels.'.length);
    return (n) => n.spec.annotations.labels[k] ?? '';
  }
  if (lower.startsWith('engine.labels.')) {
    const k = descriptor.slice('engine.labels.'.length);
    return (n) => n.description?.engine.labels[k] ?? '';
  }
  return null;
}

export function buildTree(nodes: readonly NodeInfo[], preferences: ReadonlyArray<{ spread: string }>, serviceId: string, parent?: Branch): Branch {
  const readers = preferences.map((p) => labelReader(p.spread)).filter((r): r is (n: Node) => string => r !== null);
  return build(nodes, readers, serviceId, parent);
}

function build(nodes: readonly NodeInfo[], readers: ReadonlyArray<(n: Node) => string>, serviceId: string, parent?: Branch): Branch {
  let count = 0;
  for (const n of nodes) count += n.perService.get(serviceId) ?? 0;
  const branch: Branch = { count, alive: 0, ...(parent ? { parent } : {}) };
  const [read, ...rest] = readers;
  if (!read) {
    branch.heap = createNodeHeap(serviceId);
    for (const n of nodes) branch.heap.push(n);
    branch.alive = nodes.length;
    return branch;
  }
  const groups = new Map<string, NodeInfo[]>();
  for (const n of nodes) {
    const k = read(n.node);
    const g = groups.get(k);
    if (g) g.push(n);
    else groups.set(k, [n]);
  }
  branch.children = [...groups.keys()].sort().map((key) => ({ key, branch: build(groups.get(key)!, rest, serviceId, branch) }));
  branch.alive = branch.children.length;
  return branch;
}

/** The leaf a new task of the service should go to: fewest tasks at each level, first key on ties. */
export function chooseLeaf(root: Branch): Branch | undefined {
  let b = root;
  while (b.children) {
    let best: Branch | undefined;
    for (const c of b.children) if (c.branch.alive > 0 && (!best || c.branch.count < best.count)) best = c.branch;
    if (!best) return undefined;
    b = best;
  }
  return b.alive > 0 ? b : undefined;
}

/** A leaf ran out of nodes: mark it and every ancestor left without live children. */
export function markExhausted(leaf: Branch): void {
  leaf.alive = 0;
  for (let p = leaf.parent; p; p = p.parent) {
    p.alive--;
    if (p.alive > 0) break;
  }
}

/** A task was placed under `leaf`: count it on the path to the root. */
export function countPlacement(leaf: Branch): void {
  for (let b: Branch | undefined = leaf; b; b = b.parent) b.count++;
}
