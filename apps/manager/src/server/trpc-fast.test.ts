import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TRPCError } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ApiContext, type Caller, publicProcedure, router } from '../api/trpc.js';
import { createFastTrpcHandler } from './trpc-fast.js';

const testRouter = router({
  echo: publicProcedure.input(z.object({ n: z.number().int().min(0) })).query(({ input }) => ({ twice: input.n * 2 })),
  noInput: publicProcedure.query(() => 'ok'),
  scale: publicProcedure.input(z.object({ ref: z.string(), replicas: z.number().int().min(0) })).mutation(({ input }) => {
    if (input.ref === 'missing') throw new TRPCError({ code: 'NOT_FOUND', message: `no such service: ${input.ref}` });
    if (input.ref === 'boom') throw new Error('internal detail');
    return { ref: input.ref, replicas: input.replicas };
  }),
  touch: publicProcedure.mutation(() => ({ touched: true })),
  nested: router({ whoami: publicProcedure.query(({ ctx }) => ctx.caller.kind) }),
});

const context = (caller: Caller): ApiContext => ({ caller, store: undefined as never, self: { nodeId: 'n', version: 'v' }, config: { minCertExpiryMs: 0 } });
const createContext = ({ req }: { req: http.IncomingMessage }) => context(req.headers['x-anon'] ? { kind: 'anonymous' } : { kind: 'socket' });

/** Two servers: tRPC's handler alone, and the fast path in front of it (as server/http.ts does). */
const servers: http.Server[] = [];
let plain = '';
let fast = '';
let fastServed = 0;
beforeAll(async () => {
  const trpc = createHTTPHandler({ router: testRouter, createContext, basePath: '/trpc/' });
  const quick = createFastTrpcHandler({ router: testRouter, basePath: '/trpc/', createContext: (req) => createContext({ req }) });
  const start = async (h: http.RequestListener) => {
    const s = http.createServer(h);
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  };
  plain = await start((req, res) => void trpc(req, res));
  fast = await start((req, res) => {
    if (quick(req, res)) fastServed++;
    else void trpc(req, res);
  });
});
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

type Body = { result?: { data: unknown }; error?: { message: string; data: { code: string } } } | null;
type Req = { method: 'GET' | 'POST'; path: string; body?: string; headers?: Record<string, string> };
const send = async (base: string, r: Req) => {
  const res = await fetch(base + r.path, { method: r.method, headers: { 'content-type': 'application/json', ...r.headers }, ...(r.body !== undefined ? { body: r.body } : {}) });
  return { status: res.status, contentType: res.headers.get('content-type'), vary: res.headers.get('vary'), body: (await res.json().catch(() => null)) as Body };
};
const q = (input: unknown) => `?input=${encodeURIComponent(JSON.stringify(input))}`;

const cases: [string, Req, boolean][] = [
  ['query', { method: 'GET', path: `/trpc/echo${q({ n: 21 })}` }, true],
  ['query without input', { method: 'GET', path: '/trpc/noInput' }, true],
  ['nested query', { method: 'GET', path: '/trpc/nested.whoami' }, true],
  ['mutation', { method: 'POST', path: '/trpc/scale', body: JSON.stringify({ ref: 'web', replicas: 3 }) }, true],
  ['mutation without input', { method: 'POST', path: '/trpc/touch' }, true],
  ['invalid input (zod message)', { method: 'POST', path: '/trpc/scale', body: JSON.stringify({ ref: 'web', replicas: -1 }) }, true],
  ['invalid query input', { method: 'GET', path: `/trpc/echo${q({ n: 'x' })}` }, true],
  ['TRPCError from the procedure', { method: 'POST', path: '/trpc/scale', body: JSON.stringify({ ref: 'missing', replicas: 1 }) }, true],
  ['plain Error from the procedure', { method: 'POST', path: '/trpc/scale', body: JSON.stringify({ ref: 'boom', replicas: 1 }) }, true],
  ['unauthenticated caller', { method: 'POST', path: '/trpc/touch', headers: { 'x-anon': '1' } }, true],
  ['unknown procedure (tRPC answers)', { method: 'GET', path: '/trpc/nope' }, false],
  ['mutation over GET (tRPC answers)', { method: 'GET', path: '/trpc/touch' }, false],
  ['query over POST (tRPC answers)', { method: 'POST', path: '/trpc/noInput' }, false],
  ['batch (tRPC answers)', { method: 'GET', path: `/trpc/echo,noInput?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { n: 1 } }))}` }, false],
];

describe('fast tRPC path', () => {
  it.each(cases)('%s: same status, headers and body as tRPC', async (_name, r, served) => {
    const before = fastServed;
    const [a, b] = [await send(plain, r), await send(fast, r)];
    expect(b).toEqual(a);
    expect(fastServed - before).toBe(served ? 1 : 0);
  });

  it('answers the success and error shapes the client expects', async () => {
    expect((await send(fast, cases[0]![1])).body).toEqual({ result: { data: { twice: 42 } } });
    const bad = await send(fast, cases[5]![1]);
    expect(bad.status).toBe(400);
    expect(bad.body?.error?.message).toMatch(/replicas/);
    expect(bad.body?.error?.data.code).toBe('BAD_REQUEST');
  });

  it('sends a content-length, not a chunked body', async () => {
    const res = await fetch(`${fast}/trpc/echo${q({ n: 2 })}`);
    const text = await res.text();
    expect(res.headers.get('transfer-encoding')).toBeNull();
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
  });

  it('refuses malformed JSON with a parse error', async () => {
    const r = await send(fast, { method: 'POST', path: '/trpc/scale', body: '{"ref":' });
    expect(r.status).toBe(400);
    expect(r.body?.error?.data.code).toBe('PARSE_ERROR');
  });
});
