/** Expected failures of control operations, mapped to API error codes at the edge. */
export type ControlError = { code: 'NOT_FOUND' | 'BAD_REQUEST' | 'CONFLICT' | 'UNAVAILABLE'; message: string };

export const notFound = (message: string): ControlError => ({ code: 'NOT_FOUND', message });
export const badRequest = (message: string): ControlError => ({ code: 'BAD_REQUEST', message });
export const conflict = (message: string): ControlError => ({ code: 'CONFLICT', message });

/** Maps store and proposer errors to control errors. */
export function fromStoreError(e: { kind: string; message: string } | ControlError): ControlError {
  if ('code' in e) return e;
  switch (e.kind) {
    case 'not-found':
      return notFound(e.message);
    case 'exists':
    case 'conflict':
      return conflict(e.message);
    default:
      return { code: 'UNAVAILABLE', message: e.message };
  }
}
