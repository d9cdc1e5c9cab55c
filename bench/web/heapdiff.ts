/**
 * Heap snapshots of a tab, and what grew between two of them.
 *
 * `takeSnapshot` forces a GC and writes a V8 heap snapshot through CDP
 * (`HeapProfiler.takeHeapSnapshot`), the format DevTools reads. `diffSnapshots`
 * groups the objects of the later snapshot that the earlier one did not have
 * (V8 keeps object IDs stable within one profiler session) by constructor,
 * the way DevTools' "Comparison" view does, and prints, for the groups that
 * grew most, the retainer path of a few sample objects: the chain of
 * references, shortest from a GC root, that keeps them alive.
 *
 *   BENCH_HEAP_SNAPSHOTS=120,360 npm run bench:web   # soak.ts writes snapshots at those soak seconds and diffs them
 *   npx tsx bench/web/heapdiff.ts a.heapsnapshot b.heapsnapshot [top]
 */
import fs from 'node:fs';
import type { CDPSession } from 'playwright-core';

/** Writes a snapshot of the page's heap (after a forced GC) to `file`. */
export async function takeSnapshot(cdp: CDPSession, file: string): Promise<void> {
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  const out = fs.createWriteStream(file);
  const onChunk = (e: { chunk: string }) => void out.write(e.chunk);
  cdp.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  try {
    await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false, captureNumericValue: false });
  } finally {
    cdp.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** A parsed snapshot: flat arrays, as V8 writes them, plus a reverse (retainer) index. */
export class Heap {
  readonly count: number;
  private readonly nf: number;
  private readonly ef: number;
  private readonly firstEdge: Uint32Array;
  private readonly types: string[];
  private readonly edgeTypes: string[];
  private retainerStart?: Uint32Array;
  private retainerEdge?: Uint32Array;
  private retainerFrom?: Uint32Array;
  private distance?: Int32Array;

  constructor(private readonly raw: RawSnapshot) {
    const meta = raw.snapshot.meta;
    this.nf = meta.node_fields.length;
    this.ef = meta.edge_fields.length;
    this.types = meta.node_types[0];
    this.edgeTypes = meta.edge_types[0];
    this.count = raw.nodes.length / this.nf;
    this.firstEdge = new Uint32Array(this.count + 1);
    for (let i = 0, e = 0; i < this.count; i++) {
      this.firstEdge[i] = e;
      e += (raw.nodes[i * this.nf + 4] as number) * this.ef;
    }
    this.firstEdge[this.count] = raw.edges.length;
  }

  static read(file: string): Heap {
    return new Heap(JSON.parse(fs.readFileSync(file, 'utf8')) as RawSnapshot);
  }

  type(i: number): string {
    return this.types[this.raw.nodes[i * this.nf] as number] ?? '?';
  }
  name(i: number): string {
    return this.raw.strings[this.raw.nodes[i * this.nf + 1] as number] ?? '';
  }
  id(i: number): number {
    return this.raw.nodes[i * this.nf + 2] as number;
  }
  selfSize(i: number): number {
    return this.raw.nodes[i * this.nf + 3] as number;
  }

  /** DevTools' grouping: constructor name for objects, the kind for strings, arrays, code… */
  group(i: number): string {
    const t = this.type(i);
    if (t === 'object' || t === 'native') return this.name(i);
    if (t === 'closure') return `(closure) ${this.name(i) || 'anonymous'}`;
    if (t === 'concatenated string' || t === 'sliced string') return '(string)';
    return `(${t})`;
  }

  private edgeName(e: number): string {
    const type = this.edgeTypes[this.raw.edges[e] as number] ?? '?';
    const n = this.raw.edges[e + 1] as number;
    return type === 'element' || type === 'hidden' ? `[${n}]` : (this.raw.strings[n] ?? String(n));
  }

  private edgeType(e: number): string {
    return this.edgeTypes[this.raw.edges[e] as number] ?? '?';
  }

  /** Builds the retainer index and each node's distance from the root (weak edges ignored). */
  private index(): void {
    if (this.retainerStart) return;
    const edges = this.raw.edges;
    const n = this.count;
    const counts = new Uint32Array(n + 1);
    for (let e = 0; e < edges.length; e += this.ef) {
      const to = (edges[e + 2] as number) / this.nf;
      counts[to] = (counts[to] as number) + 1;
    }
    const start = new Uint32Array(n + 1);
    for (let i = 0; i < n; i++) start[i + 1] = (start[i] as number) + (counts[i] as number);
    const fill = start.slice(0, n);
    const edgeOf = new Uint32Array(edges.length / this.ef);
    const fromOf = new Uint32Array(edges.length / this.ef);
    for (let i = 0; i < n; i++) {
      for (let e = this.firstEdge[i] as number; e < (this.firstEdge[i + 1] as number); e += this.ef) {
        const to = (edges[e + 2] as number) / this.nf;
        const k = fill[to] as number;
        fill[to] = k + 1;
        edgeOf[k] = e;
        fromOf[k] = i;
      }
    }
    const dist = new Int32Array(n).fill(-1);
    const queue = new Uint32Array(n);
    let head = 0;
    let tail = 0;
    dist[0] = 0;
    queue[tail++] = 0;
    while (head < tail) {
      const i = queue[head++] as number;
      for (let e = this.firstEdge[i] as number; e < (this.firstEdge[i + 1] as number); e += this.ef) {
        if (this.edgeType(e) === 'weak') continue;
        const to = (edges[e + 2] as number) / this.nf;
        if (dist[to] !== -1) continue;
        dist[to] = (dist[i] as number) + 1;
        queue[tail++] = to;
      }
    }
    this.retainerStart = start;
    this.retainerEdge = edgeOf;
    this.retainerFrom = fromOf;
    this.distance = dist;
  }

  /** The shortest retainer chain from a GC root to node `i`, root last. */
  retainerPath(i: number, maxDepth = 14): string[] {
    this.index();
    const start = this.retainerStart as Uint32Array;
    const dist = this.distance as Int32Array;
    const out: string[] = [];
    let cur = i;
    for (let d = 0; d < maxDepth && cur !== 0; d++) {
      let best = -1;
      let bestEdge = -1;
      for (let k = start[cur] as number; k < (start[cur + 1] as number); k++) {
        const from = (this.retainerFrom as Uint32Array)[k] as number;
        const e = (this.retainerEdge as Uint32Array)[k] as number;
        if (this.edgeType(e) === 'weak' || dist[from] === -1) continue;
        if (best === -1 || (dist[from] as number) < (dist[best] as number)) {
          best = from;
          bestEdge = e;
        }
      }
      if (best === -1) {
        out.push('(unreachable)');
        break;
      }
      out.push(`${this.edgeName(bestEdge)} in ${this.group(best)}@${this.id(best)}`);
      cur = best;
    }
    return out;
  }
}

export interface GroupDiff {
  group: string;
  /** Objects in the later snapshot only. */
  added: number;
  /** Objects in the earlier snapshot only (freed). */
  removed: number;
  /** Net change in count and in self size (bytes). */
  delta: number;
  sizeDelta: number;
  /** Indices (in the later heap) of a few added objects. */
  samples: number[];
}

/** Per-group change between two snapshots, largest size growth first. */
export function diffHeaps(before: Heap, after: Heap): GroupDiff[] {
  const ids = new Set<number>();
  const groups = new Map<string, GroupDiff>();
  const get = (g: string) => {
    let d = groups.get(g);
    if (!d) groups.set(g, (d = { group: g, added: 0, removed: 0, delta: 0, sizeDelta: 0, samples: [] }));
    return d;
  };
  for (let i = 0; i < after.count; i++) ids.add(after.id(i));
  const old = new Set<number>();
  for (let i = 0; i < before.count; i++) {
    old.add(before.id(i));
    if (ids.has(before.id(i))) continue;
    const d = get(before.group(i));
    d.removed++;
    d.delta--;
    d.sizeDelta -= before.selfSize(i);
  }
  for (let i = 0; i < after.count; i++) {
    if (old.has(after.id(i))) continue;
    const d = get(after.group(i));
    d.added++;
    d.delta++;
    d.sizeDelta += after.selfSize(i);
    if (d.samples.length < 64) d.samples.push(i);
  }
  return [...groups.values()].sort((a, b) => b.sizeDelta - a.sizeDelta);
}

/** A text report: the top groups by size growth, with retainer paths of a few of their new objects. */
export function diffReport(before: Heap, after: Heap, top = 15, paths = 3): string {
  const diff = diffHeaps(before, after);
  const lines: string[] = [];
  const total = diff.reduce((a, d) => a + d.sizeDelta, 0);
  lines.push(`objects ${before.count} → ${after.count}; self size delta ${(total / 1024).toFixed(0)} KB`);
  lines.push('group'.padEnd(48) + 'added'.padStart(9) + 'freed'.padStart(9) + 'net'.padStart(9) + 'KB'.padStart(9));
  for (const d of diff.slice(0, top)) {
    lines.push(d.group.slice(0, 47).padEnd(48) + String(d.added).padStart(9) + String(d.removed).padStart(9) + String(d.delta).padStart(9) + (d.sizeDelta / 1024).toFixed(0).padStart(9));
  }
  for (const d of diff.slice(0, Math.min(top, 6))) {
    if (d.delta <= 0) continue;
    lines.push('', `retainers of new ${d.group} (${d.added} added):`);
    // Spread the samples: the first few added objects are often alike.
    const step = Math.max(1, Math.floor(d.samples.length / paths));
    for (let k = 0; k < d.samples.length && k / step < paths; k += step) {
      const i = d.samples[k] as number;
      lines.push(`  @${after.id(i)} ← ${after.retainerPath(i).join(' ← ')}`);
    }
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '') && process.argv.length >= 4) {
  const [a, b, top] = process.argv.slice(2);
  console.log(diffReport(Heap.read(a as string), Heap.read(b as string), Number(top ?? 15)));
}
