/**
 * A lighter path for the common tRPC call: one query (GET) or one mutation
 * (POST, JSON body), not batched. tRPC's node adapter turns every request
 * into a fetch `Request` (with its own AbortController, a web ReadableStream
 * for the body and a `Response` back), which costs more CPU than most of our
 * procedures do: under a steady write load through a follower that overhead
 * was a large part of each request. This calls the same procedure directly
 * on the node request and answers with the same wire format:
 *   200 {"result":{"data":…}}   or   <status> {"error":<the router's error shape>}
 * Anything else (batches, subscriptions, a method that does not fit the
 * procedure, unknown paths, other content types, streaming) goes to tRPC's
 * own handler unchanged, so errors and edge cases stay tRPC's.
 */
import type http from 'node:http';
import { TRPCError } from '@trpc/server';
import { type AnyRouter, getErrorShape, getHTTPStatusCode, getTRPCErrorFromUnknown, transformTRPCResponse } from '@trpc/server/unstable-core-do-not-import';

/** What createContext gets and returns (the router's context type). */
export interface FastTrpcOptions<Ctx> {
  router: AnyRouter;
  /** Path prefix, with its trailing slash ("/trpc/"). */
  basePath: string;
  createContext(req: http.IncomingMessage): Ctx;
}

type Proc = ((opts: { path: string; getRawInput: () => Promise<unknown>; ctx: unknown; type: 'query' | 'mutation'; signal: AbortSignal | undefined; batchIndex: number }) => Promise<unknown>) & {
  _def: { type: 'query' | 'mutation' | 'subscription' };
};

const MAX_BODY = 32 << 20;

/** Returns a handler that answers the request and returns true, or returns false (untouched) for tRPC's own handler. */
export function createFastTrpcHandler<Ctx>(o: FastTrpcOptions<Ctx>): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  const procedures = o.router._def.procedures as Record<string, Proc | undefined>;
  const config = o.router._def._config;
  return (req, res) => {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const rawPath = url.slice(o.basePath.length, q < 0 ? undefined : q);
    const search = q < 0 ? '' : url.slice(q + 1);
    if (!url.startsWith(o.basePath) || rawPath.includes(',') || rawPath.includes('%') || req.headers['trpc-accept'] !== undefined) return false;
    const proc = Object.hasOwn(procedures, rawPath) ? procedures[rawPath] : undefined;
    if (!proc) return false;
    const type = proc._def.type;
    const params = new URLSearchParams(search);
    if (params.has('batch') || params.has('connectionParams')) return false;
    if (type === 'subscription' || (type === 'query' ? req.method !== 'GET' : req.method !== 'POST' || !isJson(req))) return false;
    void serve(req, res, proc, rawPath, type, params).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
    return true;
  };

  async function serve(req: http.IncomingMessage, res: http.ServerResponse, proc: Proc, path: string, type: 'query' | 'mutation', params: URLSearchParams) {
    let input: unknown;
    let ctx: Ctx | undefined;
    let body: { result: { data: unknown } } | { error: unknown };
    try {
      const text = type === 'mutation' ? await readBody(req) : (params.get('input') ?? '');
      const getRawInput = async () => (input = parseInput(text));
      ctx = o.createContext(req);
      const data = await proc({ path, getRawInput, ctx, type, signal: undefined, batchIndex: 0 });
      if (isStreamLike(data)) throw new TRPCError({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Cannot use stream-like response in non-streaming request - use httpBatchStreamLink' });
      body = { result: { data } };
    } catch (cause) {
      const error = getTRPCErrorFromUnknown(cause);
      body = { error: getErrorShape({ config, ctx, error, input, path, type }) };
    }
    // A result is serialized as tRPC's transformTRPCResponse would, without its object spreads.
    const json = JSON.stringify('result' in body ? { result: { data: config.transformer.output.serialize(body.result.data) } } : transformTRPCResponse(config, body as never));
    res.writeHead(getHTTPStatusCode(body as never), { vary: 'trpc-accept, accept', 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  }
}

function isJson(req: http.IncomingMessage): boolean {
  const ct = req.headers['content-type'];
  return ct !== undefined && /^application\/json\b/i.test(ct);
}

function parseInput(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new TRPCError({ code: 'PARSE_ERROR', message: `invalid JSON input: ${(cause as Error).message}`, cause });
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        req.destroy();
        return reject(new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: `request body over ${MAX_BODY} bytes` }));
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const isStreamLike = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && (Symbol.asyncIterator in v || Object.values(v).some((x) => x instanceof Promise || (typeof x === 'object' && x !== null && Symbol.asyncIterator in x)));
