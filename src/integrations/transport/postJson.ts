import { TransportError } from './TransportError.js';

/** Options of {@link postJson}. */
export interface PostJsonOptions {
  /** Abort and fail with a `TIMEOUT` TransportError after this many ms. @default no timeout */
  readonly timeoutMs?: number | undefined;
  /** An outside signal (e.g. `execute()`'s): when it fires, the request is aborted and its reason is thrown. */
  readonly signal?: AbortSignal | undefined;
  /** Largest answer body read, bytes; a longer one is a `BAD_RESPONSE`. @default 16 MiB */
  readonly maxResponseBytes?: number | undefined;
}

/** The peer's answer: any HTTP status (the caller decides what a non-2xx status means) and its body as text. */
export interface JsonAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** The most useful line of a fetch failure: undici puts the socket error in `cause`. */
function reason(error: unknown): string {
  let e: unknown = error;
  let message = 'unknown error';
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const rec = e as { message?: unknown; cause?: unknown };
    if (typeof rec.message === 'string' && rec.message !== '') message = rec.message;
    e = rec.cause;
  }
  return message;
}

async function readBody(response: Response, url: string, max: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw new TransportError('BAD_RESPONSE', `the answer from ${url} exceeds ${max} bytes`, url, { status: response.status });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * POSTs `payload` as JSON to `url` and reads the answer (any status).
 * @throws TransportError `NETWORK` (no answer; the network error is `cause`), `TIMEOUT`
 *   (`timeoutMs` passed) or `BAD_RESPONSE` (answer too large); the outside signal's reason when
 *   it fired; TypeError when `payload` cannot be serialised.
 */
export async function postJson(url: string, payload: unknown, options: PostJsonOptions = {}): Promise<JsonAnswer> {
  const { signal, timeoutMs } = options;
  signal?.throwIfAborted();
  const body = JSON.stringify(payload);
  const controller = new AbortController();
  let timedOut = false;
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, timeoutMs);
  const forward = (): void => controller.abort(signal?.reason);
  signal?.addEventListener('abort', forward, { once: true });
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body,
      signal: controller.signal,
    });
    const text = await readBody(response, url, options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
    return { status: response.status, headers: response.headers, text };
  } catch (error) {
    if (signal?.aborted === true) throw signal.reason;
    if (timedOut) throw new TransportError('TIMEOUT', `no answer from ${url} within ${timeoutMs} ms`, url, { cause: error });
    if (error instanceof TransportError) throw error;
    throw new TransportError('NETWORK', `cannot reach ${url}: ${reason(error)}`, url, { cause: error });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', forward);
  }
}

/** The `error` field of a JSON error body, or the start of the text. */
export function errorText(text: string): string {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { error?: unknown }).error === 'string') {
      return (parsed as { error: string }).error;
    }
  } catch {
    // not JSON: use the text
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
