/** Durations and ages as swarmctl prints them (Go's time.Duration.String, humanize.Time). */
import { humanAge } from '@swarm/shared';

/** Go's `time.Duration.String()` for a millisecond duration: "5s", "1m30s", "2160h0m0s", "250ms", "0s". */
export function goDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms === 0) return '0s';
  const neg = ms < 0;
  const abs = Math.abs(ms);
  let s: string;
  if (abs < 1000) {
    s = abs >= 1 ? `${trimFloat(abs)}ms` : abs >= 0.001 ? `${trimFloat(abs * 1000)}µs` : `${trimFloat(abs * 1e6)}ns`;
  } else {
    const totalSec = abs / 1000;
    const h = Math.floor(totalSec / 3600);
    const m = Math.floor((totalSec - h * 3600) / 60);
    const sec = totalSec - h * 3600 - m * 60;
    s = `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${trimFloat(sec)}s`;
  }
  return neg ? `-${s}` : s;
}

const trimFloat = (n: number): string => String(Number(n.toFixed(9)));

/** "3 minutes ago" for a timestamp (ms since epoch); "" for none. */
export function ago(timestamp: number | undefined, now: number = Date.now()): string {
  if (timestamp === undefined || !Number.isFinite(timestamp)) return '';
  return `${humanAge(now - timestamp)} ago`;
}

/** RFC 3339 timestamp, as gogotypes.TimestampString prints it. */
export function rfc3339(timestamp: number): string {
  return new Date(timestamp).toISOString();
}
