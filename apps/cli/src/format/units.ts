/** Byte and CPU quantities for display. */

/** go-humanize's IBytes: "512 MiB", "1.5 GiB", "9 B". */
export function iBytes(bytes: number): string {
  if (bytes < 10) return `${bytes} B`;
  const sizes = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  const e = Math.min(Math.floor(Math.log(bytes) / Math.log(1024)), sizes.length - 1);
  const val = Math.floor((bytes / 1024 ** e) * 10 + 0.5) / 10;
  return `${val < 10 ? val.toFixed(1) : val.toFixed(0)} ${sizes[e]}`;
}

/** Nano-CPUs as a CPU count: 500000000 → "0.5" (Go's %g of the float). */
export function cpus(nanoCpus: number): string {
  return String(nanoCpus / 1e9);
}
