import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { checkPort, checkPositiveInt, closeServer, HttpProblem, listen, readJson, sendJson, sendProblem } from './jsonServer.js';
import { checkId, type Heartbeat, type StealRequest, type StealResponse, toHeartbeat, toStealRequest, toStealResponse } from './messages.js';

/**
 * What a worker does with the messages it receives; `to` is the recipient id the sender gave.
 * A handler may return a promise: the sender's call resolves only when it settles, and a handler
 * that throws answers 500. A message without a handler is accepted and dropped.
 */
export interface WorkerProtocolHandlers {
  readonly onHeartbeat?: (heartbeat: Heartbeat, to: string) => void | Promise<void>;
  readonly onStealRequest?: (request: StealRequest, to: string) => void | Promise<void>;
  readonly onStealResponse?: (response: StealResponse, to: string) => void | Promise<void>;
}

/** Options of {@link WorkerProtocolServer.start}. */
export interface WorkerProtocolServerOptions {
  /** TCP port; 0 picks a free one (read it from `url`). @default 0 */
  readonly port?: number;
  /** Address to listen on. @default '127.0.0.1' (loopback only) */
  readonly host?: string;
  /** Largest message body accepted, bytes (larger: 413). @default 1 MiB */
  readonly maxBodyBytes?: number;
}

/** How one path checks its message and which handler receives it. */
interface Route {
  readonly parse: (message: unknown) => unknown;
  readonly deliver: (handlers: WorkerProtocolHandlers, message: unknown, to: string) => void | Promise<void>;
}

const ROUTES: ReadonlyMap<string, Route> = new Map<string, Route>([
  ['/heartbeat', { parse: (m) => toHeartbeat(m, 'message'), deliver: (h, m, to) => h.onHeartbeat?.(m as Heartbeat, to) }],
  ['/steal-request', { parse: (m) => toStealRequest(m, 'message'), deliver: (h, m, to) => h.onStealRequest?.(m as StealRequest, to) }],
  ['/steal-response', { parse: (m) => toStealResponse(m, 'message'), deliver: (h, m, to) => h.onStealResponse?.(m as StealResponse, to) }],
]);

/**
 * The receiving side of the worker protocol: a node:http server that checks each message and
 * hands it to a handler, answering 204 when the handler is done, 400 for a malformed message
 * (naming the field), 404 for an unknown path, 405 for a method other than POST, 413 for a body
 * over `maxBodyBytes`, 500 when the handler throws. Used by the tests and the demo; a worker can
 * use it as is.
 */
export class WorkerProtocolServer {
  /** Base URL of the server, e.g. `http://127.0.0.1:41234` — give it to `ResilientTransportFactory.create`. */
  readonly url: string;
  readonly #server: Server;

  private constructor(server: Server, url: string) {
    this.#server = server;
    this.url = url;
  }

  /** Starts a server that hands messages to `handlers`; resolves once it listens. */
  static async start(handlers: WorkerProtocolHandlers, options: WorkerProtocolServerOptions = {}): Promise<WorkerProtocolServer> {
    if (typeof handlers !== 'object' || handlers === null) throw new TypeError(`handlers: expected an object, got ${handlers === null ? 'null' : typeof handlers}`);
    const port = checkPort(options.port ?? 0);
    const maxBodyBytes = checkPositiveInt(options.maxBodyBytes ?? 1024 * 1024, 'maxBodyBytes');
    const server = createServer((req, res) => {
      handle(req, res, handlers, maxBodyBytes).catch((error: unknown) => sendProblem(res, error));
    });
    const url = await listen(server, port, options.host ?? '127.0.0.1');
    return new WorkerProtocolServer(server, url);
  }

  /** Stops the server, closing its connections; resolves when it is closed. */
  close(): Promise<void> {
    return closeServer(this.#server);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, handlers: WorkerProtocolHandlers, maxBodyBytes: number): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const route = ROUTES.get(path);
  if (route === undefined) throw new HttpProblem(404, `no such message: ${path} (expected /heartbeat, /steal-request or /steal-response)`);
  if (req.method !== 'POST') {
    sendJson(res, 405, { error: `${req.method ?? '?'} ${path}: only POST is accepted` }, { allow: 'POST', connection: 'close' });
    return;
  }
  const body = await readJson(req, maxBodyBytes);
  let to: string;
  let message: unknown;
  try {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TypeError('body: expected an object { "to": recipientId, "message": … }');
    const envelope = body as Readonly<Record<string, unknown>>;
    to = checkId(envelope.to, 'to');
    message = route.parse(envelope.message);
  } catch (error) {
    throw new HttpProblem(400, (error as Error).message);
  }
  await route.deliver(handlers, message, to);
  sendJson(res, 204, undefined);
}
