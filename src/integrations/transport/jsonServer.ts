import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { isIP } from 'node:net';

/** A request the server refuses, with the HTTP status to answer. */
export class HttpProblem extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'HttpProblem';
    this.status = status;
  }
}

/**
 * Reads a request body of at most `maxBytes` and parses it as JSON.
 * Any content type is accepted (a client that forgets the header is not refused).
 * @throws HttpProblem 413 (too large), 400 (malformed JSON).
 */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw new HttpProblem(413, `request body of ${declared} bytes exceeds ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    total += buffer.byteLength;
    if (total > maxBytes) throw new HttpProblem(413, `request body exceeds ${maxBytes} bytes`);
    chunks.push(buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (error) {
    throw new HttpProblem(400, `malformed JSON body: ${(error as Error).message}`);
  }
}

/** Answers `status` with `body` as JSON (or nothing for 204). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent || res.destroyed) return;
  if (status === 204) {
    res.writeHead(204, headers).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}

/**
 * Answers an error: an {@link HttpProblem} with its status, anything else with 500. A body that
 * was refused unread (413) closes the connection rather than reading the rest.
 */
export function sendProblem(res: ServerResponse, error: unknown): void {
  const status = error instanceof HttpProblem ? error.status : 500;
  const message = error instanceof Error ? error.message : String(error);
  sendJson(res, status, { error: message }, status === 413 ? { connection: 'close' } : {});
}

/** Listens on `host`:`port` (0: any free port) and resolves with the server's base URL. */
export function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error): void => reject(error);
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error(`server did not bind a TCP port on ${host}`));
        return;
      }
      const name = isIP(address.address) === 6 ? `[${address.address}]` : address.address;
      resolve(`http://${name}:${address.port}`);
    });
  });
}

/** Stops accepting connections, closes open ones (idle keep-alive ones too) and resolves when closed. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Checks a server option: an integer port from 0 to 65535. */
export function checkPort(port: unknown): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`port: expected an integer from 0 to 65535, got ${String(port)}`);
  }
  return port;
}

/** Checks a positive integer option, naming it. */
export function checkPositiveInt(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${option}: expected a positive integer, got ${String(value)}`);
  }
  return value;
}
