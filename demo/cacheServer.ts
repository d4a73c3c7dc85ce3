import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An in-memory HTTP cache server for the demo, speaking the protocol build tools use for HTTP
 * caches (GET/PUT/HEAD on /ac/<hash> and /cas/<hash>, 404 = miss), with two faults to inject:
 * `down()` closes the port (connections are refused) until `up()`, and `slow(ms)` delays every
 * answer.
 */
export class DemoCacheServer {
  readonly #blobs = new Map<string, Buffer>();
  #server: Server | undefined;
  #delayMs = 0;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    if (this.#server !== undefined) return;
    const server = createServer((req, res) => {
      // A request cut short by down() (or by its client) ends here, not as an unhandled rejection.
      this.#handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  async down(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  slow(delayMs: number): void {
    this.#delayMs = delayMs;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.#delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.#delayMs));
    const key = req.url ?? '';
    if (!/^\/(ac|cas)\/[0-9a-f]+$/.test(key)) {
      res.writeHead(400).end();
      return;
    }
    if (req.method === 'PUT') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      this.#blobs.set(key, Buffer.concat(chunks));
      res.writeHead(201).end();
      return;
    }
    const blob = this.#blobs.get(key);
    if (blob === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': blob.length });
    res.end(req.method === 'HEAD' ? undefined : blob);
  }
}
