/**
 * `placement.platforms` (the image's os/arch list): the node's platform must be
 * one of them. `x86_64` ≡ `amd64`, `aarch64` ≡ `arm64`; an empty os or arch is
 * a wildcard; a node without a description fails.
 */
import type { Platform, Task } from '@swarm/shared';
import { type Filter, onNodes } from './filter.js';

const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64' };
const normArch = (a: string) => ARCH_ALIASES[a.toLowerCase()] ?? a.toLowerCase();

export function platformMatches(want: Platform, have: Platform): boolean {
  return (want.os === '' || want.os.toLowerCase() === have.os.toLowerCase()) && (want.architecture === '' || normArch(want.architecture) === normArch(have.architecture));
}

export function platformFilter(): Filter {
  let want: Platform[] = [];
  return {
    name: 'platform',
    setTask: (t: Task) => (want = t.spec.placement.platforms).length > 0,
    check(n) {
      const have = n.node.description?.platform;
      return have !== undefined && want.some((p) => platformMatches(p, have));
    },
    explain: (n) => onNodes('unsupported platform', n),
  };
}
