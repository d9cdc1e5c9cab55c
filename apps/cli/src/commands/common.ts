/** What every command shares: global flags, the client, output, ID → name resolution. */
import type { Command } from 'commander';
import type { Node, Service } from '@swarm/shared';
import { type Api, type Target, UsageError, chooseTarget, connect, errorMessage } from '../client.js';

export interface Globals {
  socket?: string | undefined;
  manager?: string | undefined;
  token?: string | undefined;
  ca?: string | undefined;
  /** false with -n/--no-resolve: print IDs instead of names. */
  resolve: boolean;
  /** --stale: local reads, no ReadIndex round (works without quorum). */
  stale?: boolean;
}

export interface Ctx {
  api: Api;
  target: Target;
  globals: Globals;
  /** The command's own options (plus globals). */
  opts: Record<string, unknown>;
  /** --format json */
  json: boolean;
  out(text: string): void;
  /** Prints a value as indented JSON. */
  printJson(value: unknown): void;
}

/** A failure already phrased for the user; printed as "Error: <message>". */
export class CliError extends Error {}

/** Adds `--format` to a leaf command. */
export function withFormat(cmd: Command): Command {
  return cmd.option('--format <format>', 'output format: json prints the raw API objects');
}

function parseFormat(v: unknown): boolean {
  if (v === undefined) return false;
  const f = String(v).toLowerCase();
  if (f === 'json') return true;
  if (f === 'table' || f === 'text' || f === 'pretty') return false;
  throw new UsageError(`unknown --format "${String(v)}": use json`);
}

/**
 * Wraps a command body: builds the client from the global flags, runs the
 * body, turns any failure into a CliError phrased for the user, and closes
 * the connection.
 */
export function action<A extends unknown[]>(body: (ctx: Ctx, ...args: A) => Promise<void>) {
  return async function (this: Command, ...all: unknown[]): Promise<void> {
    const cmd = all[all.length - 1] as Command;
    const args = all.slice(0, -2) as A; // commander passes (...args, options, command)
    const opts = cmd.optsWithGlobals() as Record<string, unknown>;
    const globals: Globals = {
      socket: opts.socket as string | undefined,
      manager: opts.manager as string | undefined,
      token: opts.token as string | undefined,
      ca: opts.ca as string | undefined,
      resolve: opts.resolve !== false,
      stale: opts.stale === true,
    };
    let target: Target | undefined;
    let close: (() => Promise<void>) | undefined;
    try {
      const json = parseFormat(opts.format);
      target = chooseTarget(globals);
      const client = connect(target, { stale: globals.stale });
      close = client.close;
      const out = (text: string) => void process.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
      await body({ api: client.api, target, globals, opts, json, out, printJson: (v) => out(JSON.stringify(v, null, 2)) }, ...args);
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(errorMessage(e, target));
    } finally {
      await close?.().catch(() => {});
    }
  };
}

/** Maps service and node IDs to names for display, unless -n was given. */
export class Resolver {
  private constructor(
    private readonly enabled: boolean,
    private readonly services: Map<string, Service>,
    private readonly nodes: Map<string, Node>,
  ) {}

  static async load(ctx: Ctx, want: { services?: boolean; nodes?: boolean }): Promise<Resolver> {
    const enabled = ctx.globals.resolve;
    const [services, nodes] = await Promise.all([
      enabled && want.services ? ctx.api.service.list.query() : Promise.resolve([]),
      enabled && want.nodes ? ctx.api.node.list.query() : Promise.resolve([]),
    ]);
    return new Resolver(enabled, new Map(services.map((s) => [s.service.id, s.service])), new Map(nodes.map((n) => [n.id, n])));
  }

  static fixed(services: Service[], nodes: Node[], enabled = true): Resolver {
    return new Resolver(enabled, new Map(services.map((s) => [s.id, s])), new Map(nodes.map((n) => [n.id, n])));
  }

  service(id: string): string {
    if (!this.enabled) return id;
    return this.services.get(id)?.spec.annotations.name ?? id;
  }

  /** The node's name, else its hostname, else its ID (swarmctl's resolver). "" for no node. */
  node(id: string | undefined): string {
    if (!id) return '';
    if (!this.enabled) return id;
    const n = this.nodes.get(id);
    if (!n) return id;
    return n.spec.annotations.name || (n.description ? n.description.hostname : id);
  }
}
