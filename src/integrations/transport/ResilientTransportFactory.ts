import { isResilienceError } from '../../errors/ResilienceError.js';
import { parseDuration } from '../../policy/duration.js';
import { PolicyPresets } from '../../policy/PolicyPresets.js';
import type { ResilienceService } from '../../service/ResilienceService.js';
import { err, ok, type Result } from '../Result.js';
import { parseBaseUrl } from './baseUrl.js';
import { checkService, ensureEndpoint } from './ensureEndpoint.js';
import { HttpWorkerTransport, type HttpWorkerTransportOptions } from './HttpWorkerTransport.js';
import { ResilientWorkerTransport, type ResilientWorkerTransportOptions } from './ResilientWorkerTransport.js';
import { TransportError } from './TransportError.js';

/** Options of {@link ResilientTransportFactory.create}. */
export interface ResilientTransportOptions extends ResilientWorkerTransportOptions {
  /**
   * Bound of the HTTP exchange alone (`timeoutMs` bounds the whole call, waiting for a token
   * included). @default 10_000
   */
  readonly requestTimeoutMs?: HttpWorkerTransportOptions['timeoutMs'];
}

/** The resilience endpoint of the worker at `url`: `worker:` and the URL's origin. */
export function workerEndpointName(url: URL): string {
  return `worker:${url.origin}`;
}

/** Makes resilient worker transports (the specification's factory). */
export const ResilientTransportFactory = Object.freeze({
  /**
   * A {@link ResilientWorkerTransport} to the worker at `workerUrl`, over an
   * {@link HttpWorkerTransport}, under endpoint `worker:<origin of workerUrl>` (all workers
   * behind one origin share a breaker), registered with `PolicyPresets.highThroughput()` unless
   * registered already. Nothing is sent yet.
   *
   * Returns an Err — it does not throw — with a TransportError `INVALID_URL` (naming the URL)
   * when `workerUrl` is not an absolute http(s) URL without credentials, query or fragment, or
   * `ENDPOINT` when the endpoint cannot be registered (e.g. the service is full; see `cause`).
   * @throws TypeError / RangeError for a `resilience` that is not a service or a bad option.
   */
  create(workerUrl: string | URL, resilience: ResilienceService, options: ResilientTransportOptions = {}): Result<ResilientWorkerTransport, TransportError> {
    checkService(resilience);
    if (options.timeoutMs !== undefined) parseDuration(options.timeoutMs, 'timeoutMs');
    const parsed = parseBaseUrl(workerUrl, 'workerUrl');
    if (!parsed.ok) return err(parsed.error);
    const url = parsed.value;
    const transport = new HttpWorkerTransport(url, options.requestTimeoutMs === undefined ? {} : { timeoutMs: options.requestTimeoutMs });
    const protectedOptions: ResilientWorkerTransportOptions = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
    const endpoint = workerEndpointName(url);
    try {
      ensureEndpoint(resilience, endpoint, PolicyPresets.highThroughput);
    } catch (error) {
      if (!isResilienceError(error)) throw error;
      const message = `workerUrl ${JSON.stringify(url.href)}: cannot register endpoint ${JSON.stringify(endpoint)}: ${error.message}`;
      return err(new TransportError('ENDPOINT', message, url.href, { cause: error }));
    }
    return ok(new ResilientWorkerTransport(transport, resilience, endpoint, protectedOptions));
  },
});
