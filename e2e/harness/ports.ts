import net from 'node:net';

/** The port range tests may use on this machine. */
export const PORT_MIN = 15000;
export const PORT_MAX = 15999;

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * `count` distinct free ports on 127.0.0.1 within 15000–15999, starting at a
 * random offset so parallel runs rarely collide (the OS still has the final
 * word: the server fails fast if a port was taken in between).
 */
export async function freePorts(count: number): Promise<number[]> {
  const span = PORT_MAX - PORT_MIN + 1;
  const start = Math.floor(Math.random() * span);
  const out: number[] = [];
  for (let i = 0; i < span && out.length < count; i++) {
    const port = PORT_MIN + ((start + i) % span);
    if (await tryListen(port)) out.push(port);
  }
  if (out.length < count) throw new Error(`no ${count} free ports in ${PORT_MIN}-${PORT_MAX}`);
  return out;
}
