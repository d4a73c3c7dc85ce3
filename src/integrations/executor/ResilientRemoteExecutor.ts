import { checkPriority, Priority } from '../../limiter/PriorityGate.js';
import { type Duration, parseDuration } from '../../policy/duration.js';
import type { ResilienceService } from '../../service/ResilienceService.js';
import { parseBaseUrl } from '../transport/baseUrl.js';
import { checkService, ensureEndpoint } from '../transport/ensureEndpoint.js';
import type { ActionResult, ActionSpec } from './ActionResult.js';
import { coordinatorPolicy, registerCoordinatorClassifier } from './coordinatorClassifier.js';
import type { RemoteExecutor } from './RemoteExecutor.js';

/** Options of a {@link ResilientRemoteExecutor}. */
export interface ResilientRemoteExecutorOptions {
  /**
   * Bound of each action, waiting for a token included (ms or a duration string): the `timeout` of
   * `execute()`, so an action that passes it counts as a failure of the coordinator.
   * @default the executor's `timeoutMs`
   */
  readonly timeoutMs?: Duration;
}

/** The resilience endpoint of the coordinator at `url`: `coordinator:` and the URL's origin. */
export function coordinatorEndpointName(url: URL): string {
  return `coordinator:${url.origin}`;
}

/**
 * A {@link RemoteExecutor} under the coordinator's breaker and rate limiter: every action goes
 * through `resilience.execute('coordinator:<origin>', …)` at its own priority, so an overloaded
 * coordinator is not flooded, a dead one is detected fast (its circuit opens and actions are
 * refused at once with `CircuitOpenError`), and when tokens are short urgent actions pass queued
 * ones.
 *
 * The endpoint is registered with `PolicyPresets.highThroughput()` and the `coordinator`
 * classifier unless it is registered already: no answer, a garbled answer and 5xx/408/429
 * (503: saturated) count as failures; a malformed request (400) does not, and a command that
 * exits non-zero is the action's result, not an error.
 */
export class ResilientRemoteExecutor {
  /** The resilience endpoint of the coordinator. */
  readonly endpoint: string;
  /** The coordinator every action goes to. */
  readonly coordinatorUrl: URL;
  /** The unprotected executor every admitted action goes through. */
  readonly executor: RemoteExecutor;
  readonly #resilience: ResilienceService;
  readonly #timeoutMs: number;

  /**
   * @throws TransportError `INVALID_URL` for a `coordinatorUrl` that is not an absolute http(s)
   *   base URL; TypeError / RangeError for a bad argument or option; the service's error when the
   *   endpoint cannot be registered.
   */
  constructor(executor: RemoteExecutor, coordinatorUrl: string | URL, resilience: ResilienceService, options: ResilientRemoteExecutorOptions = {}) {
    if (typeof executor !== 'object' || executor === null || typeof executor.execute !== 'function') {
      throw new TypeError(`executor: expected a RemoteExecutor, got ${executor === null ? 'null' : typeof executor}`);
    }
    this.#resilience = checkService(resilience);
    this.coordinatorUrl = parseBaseUrl(coordinatorUrl, 'coordinatorUrl').unwrap();
    this.#timeoutMs = parseDuration(options.timeoutMs ?? executor.timeoutMs, 'timeoutMs');
    this.executor = executor;
    this.endpoint = coordinatorEndpointName(this.coordinatorUrl);
    registerCoordinatorClassifier();
    ensureEndpoint(this.#resilience, this.endpoint, coordinatorPolicy);
  }

  /**
   * Runs `command` in `workDir` on the coordinator as action `actionId`, under the endpoint's
   * protection, and resolves with its result (whatever its exit code).
   *
   * Priority: the `priority` argument when given, else `spec.priority`, else `Priority.Normal`.
   *
   * @throws CircuitOpenError / RateLimitError (not sent), ResilienceTimeoutError, what
   *   `RemoteExecutor.execute` throws; RangeError for a priority outside 0–255 (not sent, not counted).
   */
  execute(actionId: string, spec: ActionSpec, command: readonly string[], workDir: string, priority?: number): Promise<ActionResult> {
    let chosen: number;
    try {
      chosen = actionPriority(spec, priority);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#resilience.execute(
      this.endpoint,
      (signal) => this.executor.execute(actionId, spec, command, workDir, { coordinatorUrl: this.coordinatorUrl, signal }),
      chosen,
      this.#timeoutMs,
    );
  }
}

/** The priority of an action: the argument, else `spec.priority`, else Normal. @throws RangeError naming the source. */
export function actionPriority(spec: ActionSpec | undefined, priority: number | undefined): number {
  if (priority !== undefined) return checkPriority(priority);
  const fromSpec = typeof spec === 'object' && spec !== null ? spec.priority : undefined;
  if (fromSpec === undefined) return Priority.Normal;
  try {
    return checkPriority(fromSpec);
  } catch (error) {
    throw new RangeError(`spec.${(error as Error).message}`);
  }
}
