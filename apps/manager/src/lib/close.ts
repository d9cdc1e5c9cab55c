/**
 * Graceful close with a deadline, shared by the API server and the gRPC server: `close` starts a close that
 * lets work in flight finish and calls `done` when everything ended; if that takes longer than `graceMs`,
 * `cut` ends what is left (a hung request, a peer's long-lived stream) so a shutdown is never held by a peer.
 */
export function closeWithin(graceMs: number, close: (done: () => void) => void, cut: () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      cut();
      resolve();
    }, graceMs);
    close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
