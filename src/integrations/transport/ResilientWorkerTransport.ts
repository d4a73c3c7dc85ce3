import { Priority } from '../../limiter/PriorityGate.js';
import { type Duration, parseDuration } from '../../policy/duration.js';
import { PolicyPresets } from '../../policy/PolicyPresets.js';
import type { ResilienceService } from '../../service/ResilienceService.js';
import { checkService, ensureEndpoint } from './ensureEndpoint.js';
import { checkId, type Heartbeat, type StealRequest, type StealResponse, toHeartbeat, toStealRequest, toStealResponse } from './messages.js';
import type { WorkerTransport } from './WorkerTransport.js';

/** Options of a {@link ResilientWorkerTransport}. */
export interface ResilientWorkerTransportOptions {
  /**
   * Bound of each message, waiting for a token included (ms or a duration string); it is the
   * `timeout` of `execute()`, so a message that passes it counts as a failure of the endpoint.
   * @default 5_000
   */
  readonly timeoutMs?: Duration;
}

const DEFAULT_TIMEOUT_MS = 5_000;

/** Priority of each message: liveness and hand-overs first, requests for work after them. */
export const WORKER_MESSAGE_PRIORITY = {
  heartbeat: Priority.High,
  stealRequest: Priority.Normal,
  stealResponse: Priority.High,
} as const;

/**
 * The worker protocol under one endpoint's breaker and rate limiter: every message to the
 * worker goes through `resilience.execute(endpoint, …)` — heartbeats and steal responses at
 * High priority, steal requests at Normal — so a busy or dead worker is not flooded, a dead one
 * is detected fast (its circuit opens and calls are refused at once with `CircuitOpenError`),
 * and when tokens are short, liveness and hand-overs pass queued requests for work.
 *
 * The endpoint is registered with `PolicyPresets.highThroughput()` unless it is registered
 * already (register your own policy first to change it). A message is checked before it is
 * admitted: a malformed one rejects with TypeError and neither takes a token nor counts.
 */
export class ResilientWorkerTransport {
  /** The resilience endpoint of the worker. */
  readonly endpoint: string;
  /** The unprotected transport every admitted message goes through. */
  readonly transport: WorkerTransport;
  readonly #resilience: ResilienceService;
  readonly #timeoutMs: number;

  constructor(transport: WorkerTransport, resilience: ResilienceService, endpoint: string, options: ResilientWorkerTransportOptions = {}) {
    if (typeof transport !== 'object' || transport === null || typeof transport.sendHeartBeat !== 'function') {
      throw new TypeError(`transport: expected a WorkerTransport, got ${transport === null ? 'null' : typeof transport}`);
    }
    this.#resilience = checkService(resilience);
    this.#timeoutMs = parseDuration(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs');
    this.transport = transport;
    this.endpoint = endpoint;
    ensureEndpoint(this.#resilience, endpoint, PolicyPresets.highThroughput);
  }

  /** Sends `heartbeat` to worker `workerId`, at High priority. */
  sendHeartBeat(workerId: string, heartbeat: Heartbeat): Promise<void> {
    try {
      const to = checkId(workerId, 'workerId');
      const message = toHeartbeat(heartbeat);
      return this.#execute((signal) => this.transport.sendHeartBeat(to, message, signal), WORKER_MESSAGE_PRIORITY.heartbeat);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Asks worker `victimId` for work, at Normal priority. */
  sendStealRequest(victimId: string, request: StealRequest): Promise<void> {
    try {
      const to = checkId(victimId, 'victimId');
      const message = toStealRequest(request, 'request');
      return this.#execute((signal) => this.transport.sendStealRequest(to, message, signal), WORKER_MESSAGE_PRIORITY.stealRequest);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Hands actions to worker `thiefId`, at High priority. */
  sendStealResponse(thiefId: string, response: StealResponse): Promise<void> {
    try {
      const to = checkId(thiefId, 'thiefId');
      const message = toStealResponse(response, 'response');
      return this.#execute((signal) => this.transport.sendStealResponse(to, message, signal), WORKER_MESSAGE_PRIORITY.stealResponse);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #execute(send: (signal: AbortSignal) => Promise<void>, priority: number): Promise<void> {
    return this.#resilience.execute(this.endpoint, send, priority, this.#timeoutMs);
  }
}
