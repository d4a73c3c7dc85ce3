/**
 * Why a message to a peer (a worker or the coordinator) failed:
 * - `INVALID_URL`: the peer's URL is not an absolute http(s) URL without credentials, query or
 *   fragment (the call was not made);
 * - `ENDPOINT`: its resilience endpoint could not be registered (see `cause`);
 * - `HTTP_STATUS`: the peer answered with a non-2xx status (`status`);
 * - `NETWORK`: no answer — connection refused or reset, DNS failure (the network error is `cause`);
 * - `TIMEOUT`: no answer within the transport's own timeout;
 * - `BAD_RESPONSE`: a 2xx answer whose body is not what the protocol promises.
 */
export type TransportErrorCode = 'INVALID_URL' | 'ENDPOINT' | 'HTTP_STATUS' | 'NETWORK' | 'TIMEOUT' | 'BAD_RESPONSE';

const BRAND = Symbol.for('@builder/resilience/transport-error');

/**
 * A failed exchange with a peer over HTTP. `code` is stable; `url` is the URL the message went
 * to; `status` the HTTP status for `HTTP_STATUS`. Built to be read by the `network` classifier
 * (`isNetworkError`): `NETWORK` failures keep the socket error as `cause`, `TIMEOUT` is one of its
 * codes, and `status` is the numeric field it reads for 5xx answers — so a `network`-classified
 * endpoint counts these and not the peer's 4xx answers.
 */
export class TransportError extends Error {
  readonly code: TransportErrorCode;
  readonly url: string;
  readonly status: number | undefined;

  constructor(code: TransportErrorCode, message: string, url: string, options?: ErrorOptions & { readonly status?: number }) {
    super(message, options);
    this.name = 'TransportError';
    this.code = code;
    this.url = url;
    this.status = options?.status;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** A plain object for logs and `postMessage`. */
  toJSON(): { name: string; code: TransportErrorCode; message: string; url: string; status: number | undefined } {
    return { name: this.name, code: this.code, message: this.message, url: this.url, status: this.status };
  }
}

/** True for a {@link TransportError} (or a subclass such as `CoordinatorHttpError`), from any realm. */
export function isTransportError(value: unknown): value is TransportError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
