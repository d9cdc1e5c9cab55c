import { TRPCClientError } from '@trpc/client';

/** The human message of an API error (the server names the offending field). */
export function errorMessage(err: unknown): string {
  if (err instanceof TRPCClientError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
