// A TCP proxy on 127.0.0.1 in front of a real service, for fault tests:
// stop() closes the listener and cuts every open connection (the service
// "goes away"), start() listens again on the same port (it "comes back").
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** Stops listening and destroys every open connection, both sides. */
  stop(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  let server: net.Server | undefined;
  let port = 0;

  const track = (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const srv = net.createServer((client) => {
        accepted++;
        track(client);
        const upstream = net.connect({ host: target.host, port: target.port });
        track(upstream);
        client.pipe(upstream);
        upstream.pipe(client);
        client.once('close', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
      });
      srv.once('error', reject);
      srv.listen({ host: '127.0.0.1', port }, () => {
        srv.off('error', reject);
        port = (srv.address() as net.AddressInfo).port;
        server = srv;
        resolve();
      });
    });

  await listen();
  return {
    get port() {
      return port;
    },
    get accepted() {
      return accepted;
    },
    async start() {
      if (server) return;
      // The port was just released; retry briefly in case the kernel still holds it.
      for (let i = 0; ; i++) {
        try {
          await listen();
          return;
        } catch (err) {
          if ((err as { code?: string }).code !== 'EADDRINUSE' || i >= 50) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    },
    async stop() {
      const srv = server;
      server = undefined;
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (srv) await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };
}
