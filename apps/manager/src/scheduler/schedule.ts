/**
 * Pure placement of a batch of tasks over the node index. Tasks are grouped by
 * (service, spec version) — they share one spec, so the filters are set up and
 * every node is filtered once per group — then placed one by one down the
 * preference tree (rank.ts). After each placement the chosen node is checked
 * again (its reservations grew), so a batch never overcommits a node. A task
 * that fits nowhere gets SwarmKit's "no suitable node (...)" explanation.
 */
import type { Task } from '@swarm/shared';
import { type NodeInfo, addTask } from './node-info.js';
import { type Failures, type Pipeline, createPipeline, noSuitableNode, recordFailure } from './pipeline.js';
import { type Branch, buildTree, chooseLeaf, countPlacement, markExhausted } from './rank.js';

export type Decision = { taskId: string; nodeId: string } | { taskId: string; error: string };

/** Applies a placement to the scheduler's view (default: count the task on the node). */
export type Place = (task: Task, node: NodeInfo) => void;
const defaultPlace: Place = (t, n) => addTask(n, { ...t, nodeId: n.node.id });

/** What placement reads of a spec, as a string; cached per object (tasks of one service version share theirs). */
const placementKeys = new WeakMap<object, string>();
function placementKey(o: object | undefined, pick: (o: never) => unknown): string {
  if (!o) return '';
  let k = placementKeys.get(o);
  if (k === undefined) placementKeys.set(o, (k = JSON.stringify(pick(o as never))));
  return k;
}

/**
 * Tasks of one (service, spec version) share a spec, so they form one group.
 * The placement-relevant parts are part of the key too, so hand-made tasks
 * (tests) or a spec edited outside the orchestrator never share a group wrongly.
 */
export const groupKey = (t: Task): string =>
  `${t.serviceId}\u0000${t.specVersion}\u0000${placementKey(t.spec, (s: Task['spec']) => [s.resources.reservations, s.placement])}\u0000${placementKey(t.endpoint, (e: NonNullable<Task['endpoint']>) => e.ports)}`;

/** Takes the best node under the tree that still passes the pipeline (dropping those that stopped passing). */
function take(root: Branch, pipeline: Pipeline, failures: Failures): { node: NodeInfo; leaf: Branch } | undefined {
  for (;;) {
    const leaf = chooseLeaf(root);
    if (!leaf) return undefined;
    const node = leaf.heap!.pop();
    if (!node) {
      markExhausted(leaf);
      continue;
    }
    const failed = pipeline.check(node);
    if (!failed) return { node, leaf };
    recordFailure(failures, failed);
    if (leaf.heap!.size() === 0) markExhausted(leaf);
  }
}

/** Places one group of tasks sharing a spec over `nodes`. */
export function placeGroup(tasks: readonly Task[], nodes: Iterable<NodeInfo>, pipeline: Pipeline, place: Place = defaultPlace): Decision[] {
  const first = tasks[0];
  if (!first) return [];
  pipeline.setTask(first);
  const failures: Failures = new Map();
  const feasible: NodeInfo[] = [];
  for (const n of nodes) {
    const f = pipeline.check(n);
    if (f) recordFailure(failures, f);
    else feasible.push(n);
  }
  const root = buildTree(feasible, first.spec.placement.preferences, first.serviceId);
  const out: Decision[] = [];
  for (const task of tasks) {
    const got = take(root, pipeline, failures);
    if (!got) {
      out.push({ taskId: task.id, error: noSuitableNode(failures, pipeline.filters) });
      continue;
    }
    place(task, got.node);
    countPlacement(got.leaf);
    got.leaf.heap!.push(got.node);
    out.push({ taskId: task.id, nodeId: got.node.node.id });
  }
  return out;
}

/** A pre-assigned task (global services) is only verified on its node; failures get the bare explanation. */
export function verifyPreassigned(task: Task, node: NodeInfo | undefined, pipeline: Pipeline, place: Place = defaultPlace): Decision {
  pipeline.setTask(task);
  const failed = node ? pipeline.check(node) : pipeline.filters[0]!;
  if (failed) return { taskId: task.id, error: failed.explain(1) };
  place(task, node!);
  return { taskId: task.id, nodeId: node!.node.id };
}

/** Groups tasks by (service, spec version), keeping first-seen order. */
export function groupTasks(tasks: Iterable<Task>): Task[][] {
  const groups = new Map<string, Task[]>();
  for (const t of tasks) {
    const k = groupKey(t);
    const g = groups.get(k);
    if (g) g.push(t);
    else groups.set(k, [t]);
  }
  return [...groups.values()];
}

/** Places a batch of unassigned and pre-assigned tasks (tests and the pure benchmark). */
export function scheduleTasks(tasks: readonly Task[], nodes: readonly NodeInfo[], pipeline: Pipeline = createPipeline()): Decision[] {
  const byId = new Map(nodes.map((n) => [n.node.id, n]));
  const out: Decision[] = [];
  for (const t of tasks) if (t.nodeId) out.push(verifyPreassigned(t, byId.get(t.nodeId), pipeline));
  for (const g of groupTasks(tasks.filter((t) => !t.nodeId))) out.push(...placeGroup(g, nodes.filter((n) => n.known), pipeline));
  const order = new Map(tasks.map((t, i) => [t.id, i]));
  return out.sort((a, b) => order.get(a.taskId)! - order.get(b.taskId)!);
}
