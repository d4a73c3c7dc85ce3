import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, request } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';

/** A request as the front proxy saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/**
 * A tiny HTTP server on 127.0.0.1 in front of a real server (nginx): it counts connections and
 * requests, can delay each request by `delayMs` before forwarding it (a slow server), and can
 * answer a request itself with a status chosen by `intercept` (a failing server).
 */
export interface FrontProxy {
  readonly port: number;
  readonly baseUrl: string;
  /** Delay before each request is forwarded, ms (changeable while running). */
  delayMs: number;
  /** Returns a status to answer with instead of forwarding, or undefined to forward. */
  intercept: ((request: SeenRequest) => number | undefined) | undefined;
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** Requests received so far, in order. */
  readonly requests: readonly SeenRequest[];
  close(): Promise<void>;
}

export async function startFrontProxy(targetPort: number, options: { delayMs?: number } = {}): Promise<FrontProxy> {
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const requests: SeenRequest[] = [];
  let connections = 0;

  const forward = (req: IncomingMessage, res: import('node:http').ServerResponse): void => {
    const upstream = request(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.on('aborted', () => upstream.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  };

  const server = createHttpServer((req, res) => {
    const seen: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    requests.push(seen);
    const status = proxy.intercept?.(seen);
    if (status !== undefined) {
      req.resume();
      res.writeHead(status).end();
      return;
    }
    if (proxy.delayMs <= 0) {
      forward(req, res);
      return;
    }
    req.pause();
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) forward(req, res);
    }, proxy.delayMs);
    timers.add(timer);
    res.on('close', () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
  });
  server.on('connection', (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');

  const proxy: FrontProxy = {
    port: address.port,
    baseUrl: `http://127.0.0.1:${address.port}`,
    delayMs: options.delayMs ?? 0,
    intercept: undefined,
    get connections() {
      return connections;
    },
    requests,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}

/** A TCP listener on 127.0.0.1:`port` that counts (and drops) every connection made to it. */
export interface ConnectionCounter {
  readonly connections: number;
  close(): Promise<void>;
}

export async function startConnectionCounter(port: number): Promise<ConnectionCounter> {
  let connections = 0;
  const server = createNetServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    get connections() {
      return connections;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
