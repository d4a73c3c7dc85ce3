import { type Duration, parseDuration } from '../../policy/duration.js';
import { joinPath, parseBaseUrl } from './baseUrl.js';
import { checkId, type Heartbeat, type StealRequest, type StealResponse, toHeartbeat, toStealRequest, toStealResponse, type WorkerMessageKind } from './messages.js';
import { errorText, postJson } from './postJson.js';
import { TransportError } from './TransportError.js';
import type { WorkerTransport } from './WorkerTransport.js';

/** Options of an {@link HttpWorkerTransport}. */
export interface HttpWorkerTransportOptions {
  /** Longest wait for the recipient's answer to one message (ms or a duration string). @default 10_000 */
  readonly timeoutMs?: Duration;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The worker protocol over HTTP/JSON, with no protection: each message is one POST of
 * `{ "to": recipientId, "message": … }` to `${workerUrl}/heartbeat`, `/steal-request` or
 * `/steal-response`, and any 2xx answer accepts it. Messages are checked before they are sent
 * (a TypeError names the bad field) and only their documented fields are sent.
 *
 * Rejects with a {@link TransportError}: `HTTP_STATUS` (the worker refused it), `NETWORK`
 * (no answer), `TIMEOUT` (no answer in `timeoutMs`).
 */
export class HttpWorkerTransport implements WorkerTransport {
  /** The worker's base URL (without a trailing slash). */
  readonly url: URL;
  readonly #timeoutMs: number;

  /** @throws TransportError `INVALID_URL` for a URL that is not an absolute http(s) base URL. */
  constructor(workerUrl: string | URL, options: HttpWorkerTransportOptions = {}) {
    this.url = parseBaseUrl(workerUrl, 'workerUrl').unwrap();
    this.#timeoutMs = parseDuration(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs');
  }

  async sendHeartBeat(workerId: string, heartbeat: Heartbeat, signal?: AbortSignal): Promise<void> {
    await this.#send('heartbeat', checkId(workerId, 'workerId'), toHeartbeat(heartbeat), signal);
  }

  async sendStealRequest(victimId: string, request: StealRequest, signal?: AbortSignal): Promise<void> {
    await this.#send('steal-request', checkId(victimId, 'victimId'), toStealRequest(request, 'request'), signal);
  }

  async sendStealResponse(thiefId: string, response: StealResponse, signal?: AbortSignal): Promise<void> {
    await this.#send('steal-response', checkId(thiefId, 'thiefId'), toStealResponse(response, 'response'), signal);
  }

  async #send(kind: WorkerMessageKind, to: string, message: unknown, signal: AbortSignal | undefined): Promise<void> {
    const url = joinPath(this.url, `/${kind}`);
    const answer = await postJson(url, { to, message }, { timeoutMs: this.#timeoutMs, signal, maxResponseBytes: 64 * 1024 });
    if (answer.status < 200 || answer.status > 299) {
      throw new TransportError('HTTP_STATUS', `worker at ${url} answered ${answer.status}: ${errorText(answer.text)}`, url, { status: answer.status });
    }
  }
}
