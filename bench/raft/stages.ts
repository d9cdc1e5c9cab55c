/**
 * Commit-path stage breakdown from the nodes' traces (node-main's `trace` op).
 * For every index proposed during the window, the time of each stage is the
 * earliest event of that stage covering it (stages record the highest index
 * they cover, and indexes only grow while the leader stays the same). For the
 * followers the earlier of the two counts (a commit needs one of them).
 */
export interface Trace {
  stage: string[];
  index: number[];
  at: number[];
}

type Times = Map<number, number>;

/** index -> earliest time of a `stage` event with index >= it, for indexes in [lo, hi]. */
function covering(traces: readonly Trace[], stage: string, lo: number, hi: number): Times {
  const firstAt = new Map<number, number>();
  for (const t of traces) {
    t.stage.forEach((s, i) => {
      if (s !== stage) return;
      const idx = Math.min(t.index[i]!, hi);
      if (idx < lo) return;
      firstAt.set(idx, Math.min(firstAt.get(idx) ?? Infinity, t.at[i]!));
    });
  }
  const out: Times = new Map();
  let best = Infinity;
  for (let i = hi; i >= lo; i--) {
    best = Math.min(best, firstAt.get(i) ?? Infinity);
    if (best < Infinity) out.set(i, best);
  }
  return out;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

export interface Breakdown {
  readonly count: number;
  /** stage -> [p50, p99, mean over the slowest 1% of commits] in ms */
  readonly stages: Record<string, [number, number, number]>;
  readonly snapshots: string[];
}

/** `leader` first, then the followers. */
export function breakdown(leader: Trace, followers: readonly Trace[]): Breakdown {
  const props = leader.index.filter((_, i) => leader.stage[i] === 'propose');
  const lo = Math.min(...props) - 0;
  const hi = Math.max(...props);
  const first = (s: string) => covering([leader], s, lo, hi);
  const P = first('propose');
  const A = first('append');
  const L = first('persisted');
  const K = first('ack');
  const C = first('commit');
  const Y = first('apply');
  const R = covering(followers, 'recv', lo, hi);
  const F = covering(followers, 'persisted', lo, hi);
  const spans: Record<string, [Times, Times]> = {
    'propose→append': [P, A],
    'append→leader fsync done': [A, L],
    'append→follower recv': [A, R],
    'follower recv→fsync done': [R, F],
    'follower fsync→leader got ack': [F, K],
    'max(leader fsync, ack)→commit': [new Map([...K].map(([i, k]) => [i, Math.max(k, L.get(i) ?? k)])), C],
    'commit→applied': [C, Y],
    'total propose→applied': [P, Y],
  };
  const totals: [number, number][] = [];
  for (let i = lo; i <= hi; i++) if (P.has(i) && Y.has(i)) totals.push([i, Y.get(i)! - P.get(i)!]);
  totals.sort((a, b) => b[1] - a[1]);
  const slow = totals.slice(0, Math.max(1, Math.floor(totals.length / 100))).map(([i]) => i);
  const stages: Record<string, [number, number, number]> = {};
  for (const [name, [from, to]] of Object.entries(spans)) {
    const d: number[] = [];
    for (let i = lo; i <= hi; i++) if (from.has(i) && to.has(i)) d.push(to.get(i)! - from.get(i)!);
    const sd = slow.filter((i) => from.has(i) && to.has(i)).map((i) => to.get(i)! - from.get(i)!);
    const mean = sd.reduce((a, b) => a + b, 0) / Math.max(1, sd.length);
    stages[name] = [round(pct(d, 50)), round(pct(d, 99)), round(mean)];
  }
  const snapshots: string[] = [];
  [leader, ...followers].forEach((t, n) => {
    t.stage.forEach((s, i) => {
      if (s !== 'snapStart') return;
      const end = t.stage.findIndex((x, j) => j > i && x === 'snapEnd');
      const dur = end >= 0 ? t.at[end]! - t.at[i]! : NaN;
      snapshots.push(`${n === 0 ? 'leader' : `follower${n}`} snapshot @${t.index[i]} took ${round(dur)} ms`);
    });
  });
  return { count: totals.length, stages, snapshots };
}

const round = (x: number): number => Math.round(x * 100) / 100;
