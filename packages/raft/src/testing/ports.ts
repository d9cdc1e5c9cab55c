/** Free loopback ports in 127.0.0.1:17000-17999 (the range tests may use). */
import * as net from 'node:net';

function tryPort(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = net.createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

const taken = new Set<number>();

export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  const start = 17000 + Math.floor(Math.random() * 1000);
  for (let i = 0; i < 1000 && out.length < n; i++) {
    const p = 17000 + ((start - 17000 + i * 7) % 1000);
    if (taken.has(p)) continue;
    if (await tryPort(p)) {
      taken.add(p);
      out.push(p);
    }
  }
  if (out.length < n) throw new Error('no free ports in 17000-17999');
  return out;
}
