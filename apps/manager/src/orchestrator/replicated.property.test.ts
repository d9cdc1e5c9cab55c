/**
 * reconcileReplicated in a simulated world: random agent outcomes, node churn,
 * scaling and spec updates over many rounds (fast-check), checking the
 * orchestrator's invariants after every plan.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Node, type RestartPolicy, TaskState, seededRng } from '@swarm/shared';
import { makeNode, makeService, serviceSpec, taskSpec } from '../testing/fixtures.js';
import { type World, applyPlan, emptyPlanOf, planFor, setTask, slotsOf } from '../testing/orchestrator-sim.js';
import { OLD_TASK_TIMEOUT_MS, type Plan } from './replicated.js';
import { isRunnable, isTaskDirty } from './task.js';

const NOW = 1_000_000;
const S = TaskState;

interface Round {
  fail: number[];
  complete: number[];
  downNode: number | null;
  upNode: number | null;
  drain: number | null;
  activate: number | null;
  scale: number | null;
  update: boolean;
  advanceMs: number;
  agentSteps: number;
}

const roundArb: fc.Arbitrary<Round> = fc.record({
  fail: fc.array(fc.nat(20), { maxLength: 2 }),
  complete: fc.array(fc.nat(20), { maxLength: 1 }),
  downNode: fc.option(fc.nat(3), { nil: null, freq: 6 }),
  upNode: fc.option(fc.nat(3), { nil: null, freq: 2 }),
  drain: fc.option(fc.nat(3), { nil: null, freq: 8 }),
  activate: fc.option(fc.nat(3), { nil: null, freq: 3 }),
  scale: fc.option(fc.nat(6), { nil: null, freq: 5 }),
  update: fc.boolean(), // combined with a second coin below: about one round in four updates the spec
  advanceMs: fc.constantFrom(0, 100, 2000, 5000, 30_000, 61_000),
  agentSteps: fc.integer({ min: 0, max: 3 }),
});

const NODE_IDS = ['n0', 'n1', 'n2', 'n3'];

function newWorld(replicas: number, parallelism: number, historyLimit: number, restart?: Partial<RestartPolicy>): World {
  const service = makeService({
    id: 'svc',
    specVersion: 1,
    spec: serviceSpec('web', {
      mode: { kind: 'replicated', replicas },
      task: taskSpec(restart ? { restart: { condition: 'any', delayMs: 5000, maxAttempts: 0, windowMs: 0, ...restart } } : {}),
      update: { parallelism, delayMs: 0, failureAction: 'continue', monitorMs: 0, maxFailureRatio: 0, order: 'stop-first' },
    }),
  });
  return { now: NOW, service, nodes: new Map(NODE_IDS.map((id) => [id, makeNode(id)])), tasks: new Map(), historyLimit, nextId: 0, version: 10 };
}

/** Scheduler + agent: place pending tasks, advance states, shut down what should stop. */
function worldStep(w: World, rng: () => number): void {
  const ready = [...w.nodes.values()].filter((n) => n.status.state === 'READY' && n.spec.availability === 'ACTIVE');
  for (const t of [...w.tasks.values()]) {
    const node = t.nodeId ? w.nodes.get(t.nodeId) : undefined;
    if (!t.nodeId) {
      if (t.status.state < S.ASSIGNED && t.desiredState <= S.RUNNING && ready.length > 0) {
        const target = ready[Math.floor(rng() * ready.length)] as Node;
        setTask(w, t, { nodeId: target.id, status: { ...t.status, state: S.ASSIGNED } });
      }
      continue;
    }
    if (!node || node.status.state !== 'READY') continue; // agent unreachable
    if (t.desiredState >= S.SHUTDOWN) {
      if (t.status.state < S.COMPLETE) setTask(w, t, { status: { ...t.status, state: S.SHUTDOWN } });
      continue;
    }
    const target = t.desiredState === S.READY ? S.READY : S.RUNNING;
    if (t.status.state < target) setTask(w, t, { status: { ...t.status, state: target } });
  }
}

/** Reconcile until the plan is empty (as the loop does: its own commit re-triggers it). */
function settle(w: World, onPlan: (p: Plan) => void = () => {}, afterApply: () => void = () => {}): void {
  for (let i = 0; i < 8; i++) {
    const p = planFor(w);
    if (emptyPlanOf(p)) return;
    onPlan(p);
    applyPlan(w, p);
    afterApply();
  }
  throw new Error(`reconcile did not reach a fixpoint: ${JSON.stringify(planFor(w))}`);
}

/** Holds after every applied plan: never two runnable tasks in one slot. */
function checkOneRunnablePerSlot(w: World): void {
  for (const [slot, ts] of slotsOf(w)) {
    const runnable = ts.filter(isRunnable);
    expect(runnable.length, `slot ${slot} runnable tasks ${runnable.map((t) => t.id)}`).toBeLessThanOrEqual(1);
  }
}

/** Holds at a fixpoint: the above, and history within the limit (the live task included). */
function checkInvariants(w: World, limit: number): void {
  checkOneRunnablePerSlot(w);
  for (const [slot, ts] of slotsOf(w)) {
    if (limit >= 1) {
      const dead = ts.filter((t) => !isRunnable(t) && (t.status.state > S.RUNNING || t.status.state < S.ASSIGNED));
      // The reaper leaves no dead task behind while the slot is over its limit.
      if (ts.length > limit) expect(dead.map((t) => t.id), `slot ${slot} has ${ts.length} tasks > limit ${limit}`).toEqual([]);
    }
  }
}

describe('reconcileReplicated: simulated world (property)', () => {
  it('one runnable task per slot, bounded history, parallelism respected, converges to replicas', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(roundArb, { minLength: 1, maxLength: 25 }),
        fc.array(fc.boolean(), { minLength: 25, maxLength: 25 }),
        fc.integer(),
        (replicas, parallelism, historyLimit, rounds, updates, seed) => {
          const w = newWorld(replicas, parallelism, historyLimit);
          const r = seededRng(seed);
          const rng = () => r.next();
          /** Slots whose update is in progress: slot → the task the update created for it. */
          const updating = new Map<number, string>();
          const trackUpdates = (p: Plan) => {
            const before = slotsOf(w);
            for (const c of p.create) {
              const ts = before.get(c.slot) ?? [];
              // An update (not a restart) replaces a live, dirty task that has not stopped and sits on a good node.
              const replacesHealthyDirty = ts.some((t) => {
                const node = t.nodeId ? w.nodes.get(t.nodeId) : undefined;
                const goodNode = !t.nodeId || (node && node.status.state !== 'DOWN' && node.spec.availability !== 'DRAIN');
                return isRunnable(t) && isTaskDirty(w.service, t) && t.status.state <= S.RUNNING && goodNode;
              });
              if (replacesHealthyDirty) updating.set(c.slot, c.id);
            }
          };
          const refreshUpdating = () => {
            for (const [slot, id] of updating) {
              const t = w.tasks.get(id);
              // SwarmKit's updater moves on once the new task reached RUNNING or beyond (or it was stopped/deleted).
              // A newer spec supersedes the update the task belonged to (SwarmKit cancels that updater).
              if (!t || t.status.state >= S.RUNNING || !isRunnable(t) || isTaskDirty(w.service, t)) updating.delete(slot);
            }
          };
          let lastPlan: Plan | undefined;
          const checkParallelism = () => {
            if (parallelism > 0) {
              const dump = () =>
                [...w.tasks.values()]
                  .sort((a, b) => a.slot - b.slot || a.meta.createdAt - b.meta.createdAt)
                  .map((t) => `slot ${t.slot} ${t.id} v${t.specVersion} ${t.nodeId ?? '-'} state=${t.status.state} desired=${t.desiredState}`)
                  .join('\n');
              expect(updating.size, `slots updating: ${[...updating.entries()]} at t=${w.now} replicas=${JSON.stringify(w.service.spec.mode)} sv=${w.service.specVersion}\n${dump()}\nplan ${JSON.stringify(lastPlan && { ...lastPlan, create: lastPlan.create.map((c) => [c.id, c.slot]) })}`).toBeLessThanOrEqual(parallelism);
            }
          };

          /** Reconcile to a fixpoint, checking the invariants after every applied plan. */
          const step = () => {
            refreshUpdating();
            settle(
              w,
              (p) => {
                lastPlan = p;
                trackUpdates(p);
              },
              () => {
                refreshUpdating();
                checkParallelism();
                checkOneRunnablePerSlot(w);
              },
            );
            checkInvariants(w, historyLimit);
          };

          rounds.forEach((round, i) => {
            w.now += round.advanceMs;
            const setNode = (idx: number | null, f: (n: Node) => Node) => {
              const n = idx === null ? undefined : w.nodes.get(NODE_IDS[idx] as string);
              if (n) w.nodes.set(n.id, f(n));
            };
            setNode(round.downNode, (n) => ({ ...n, status: { ...n.status, state: 'DOWN' } }));
            setNode(round.upNode, (n) => ({ ...n, status: { ...n.status, state: 'READY' } }));
            setNode(round.drain, (n) => ({ ...n, spec: { ...n.spec, availability: 'DRAIN' } }));
            setNode(round.activate, (n) => ({ ...n, spec: { ...n.spec, availability: 'ACTIVE' } }));
            if (round.scale !== null) w.service = { ...w.service, spec: { ...w.service.spec, mode: { kind: 'replicated', replicas: round.scale } } };
            if (updates[i] && round.update) {
              const v = w.service.specVersion + 1;
              const task = { ...w.service.spec.task, container: { ...w.service.spec.task.container, image: `nginx:${v}` } };
              w.service = { ...w.service, specVersion: v, spec: { ...w.service.spec, task } };
            }
            // Agents report: some running tasks fail or complete.
            const running = [...w.tasks.values()].filter((t) => t.status.state === S.RUNNING && t.nodeId && w.nodes.get(t.nodeId)?.status.state === 'READY');
            for (const k of round.fail) {
              const t = running[k];
              if (t && w.tasks.get(t.id)?.status.state === S.RUNNING) setTask(w, t, { status: { ...t.status, state: S.FAILED } });
            }
            for (const k of round.complete) {
              const t = running[k];
              const cur = t && w.tasks.get(t.id);
              if (cur && cur.status.state === S.RUNNING) setTask(w, cur, { status: { ...cur.status, state: S.COMPLETE } });
            }
            step();
            for (let s = 0; s < round.agentSteps; s++) {
              worldStep(w, rng);
              step();
            }
          });

          // The world stabilises: every node up and active, no more failures.
          for (const n of w.nodes.values()) w.nodes.set(n.id, { ...n, status: { ...n.status, state: 'READY' }, spec: { ...n.spec, availability: 'ACTIVE' } });
          for (let i = 0; i < 80; i++) {
            w.now += OLD_TASK_TIMEOUT_MS + 1;
            worldStep(w, rng);
            step();
          }
          const want = w.service.spec.mode.kind === 'replicated' ? w.service.spec.mode.replicas : 0;
          const live = [...w.tasks.values()].filter(isRunnable);
          expect(live.length).toBe(want);
          expect(new Set(live.map((t) => t.slot)).size).toBe(want);
          for (const t of live) {
            expect(t.status.state).toBe(S.RUNNING);
            expect(t.desiredState).toBe(S.RUNNING);
            expect(isTaskDirty(w.service, t)).toBe(false);
          }
          // Nothing left that is not live, except bounded history.
          for (const [, ts] of slotsOf(w)) expect(ts.length).toBeLessThanOrEqual(Math.max(historyLimit, 1));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('max attempts bounds the restarts per slot, and the slot is never refilled', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 5, max: 30 }), (maxAttempts, replicas, rounds) => {
        const w = newWorld(replicas, 1, 5, { maxAttempts, delayMs: 1000 });
        const rng = () => 0.5;
        for (let i = 0; i < rounds; i++) {
          w.now += 2000;
          worldStep(w, rng);
          // Every task that runs fails at once.
          for (const t of [...w.tasks.values()]) if (t.status.state === S.RUNNING) setTask(w, t, { status: { ...t.status, state: S.FAILED } });
          settle(w);
        }
        const created = new Map<number, number>();
        let everCreated = 0;
        for (const t of w.tasks.values()) created.set(t.slot, (created.get(t.slot) ?? 0) + 1);
        everCreated = w.nextId;
        for (const [slot, n] of created) expect(n, `slot ${slot}`).toBeLessThanOrEqual(maxAttempts + 1);
        expect(everCreated).toBeLessThanOrEqual(replicas * (maxAttempts + 1));
      }),
      { numRuns: 100 },
    );
  });
});
