// A TCP relay on loopback that can "freeze" the connections it carries: it stops relaying in
// both directions but keeps both sockets open, so the peers see neither FIN nor RST and their
// kernels keep acknowledging (TCP keepalive cannot tell). Connections opened after the freeze
// relay normally. This is how a hung proxy, load balancer or NAT looks to a client.
import { type Server, type Socket, connect, createServer } from "node:net";

export interface FreezableProxy {
  /** Loopback port the proxy listens on. */
  readonly port: number;
  /** Freezes every connection open right now; later connections are not affected. Returns how many were frozen. */
  freeze: () => number;
  /** Connections currently relaying (opened and not frozen, not closed). */
  readonly liveConnections: number;
  /** Destroys every connection, frozen or not, and stops listening. */
  close: () => Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  frozen: boolean;
}

/** Starts a proxy from a free loopback port to 127.0.0.1:`targetPort`. */
export async function startFreezableProxy(targetPort: number): Promise<FreezableProxy> {
  const pairs = new Set<Pair>();

  function relay(pair: Pair, from: Socket, to: Socket): void {
    from.on("data", (chunk: Buffer) => {
      if (!pair.frozen) to.write(chunk);
    });
    from.on("end", () => {
      if (!pair.frozen) to.end();
    });
    from.on("close", () => {
      if (pair.frozen) return;
      to.destroy();
      pairs.delete(pair);
    });
    from.on("error", () => {
      // 'close' follows and handles it.
    });
  }

  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ host: "127.0.0.1", port: targetPort, allowHalfOpen: true });
    const pair: Pair = { client, upstream, frozen: false };
    pairs.add(pair);
    relay(pair, client, upstream);
    relay(pair, upstream, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");

  return {
    port: address.port,
    freeze: () => {
      let frozen = 0;
      for (const pair of pairs) {
        if (pair.frozen) continue;
        pair.frozen = true;
        // Stop reading too: data piles up in the kernel buffers, as behind a hung process.
        pair.client.pause();
        pair.upstream.pause();
        frozen += 1;
      }
      return frozen;
    },
    get liveConnections() {
      let live = 0;
      for (const pair of pairs) if (!pair.frozen) live += 1;
      return live;
    },
    close: async () => {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

/** The same connection URL with its port replaced (e.g. to route it through a proxy). */
export function withPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.port = String(port);
  return parsed.toString();
}
