/**
 * When to renew a certificate: at a random point between 50% and 80% of its
 * lifetime (measured from notBefore), as SwarmKit does; immediately if that
 * point has passed. `rand` is in [0, 1).
 */
export function renewalDelay(cert: { notBefore: number; notAfter: number }, now: number, rand: number): number {
  const life = cert.notAfter - cert.notBefore;
  const at = cert.notBefore + life * (0.5 + 0.3 * rand);
  return Math.max(0, Math.round(at - now));
}
