/** Expected failures travel as values; exceptions are for bugs. */
export type Result<T, E = string> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}

export function invariant(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(`invariant violated: ${msg}`);
}
