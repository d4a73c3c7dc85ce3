import { type Duration, parseDuration } from '../../policy/duration.js';
import { joinPath, parseBaseUrl } from '../transport/baseUrl.js';
import { errorText, postJson } from '../transport/postJson.js';
import { TransportError } from '../transport/TransportError.js';
import type { ActionRequest, ActionResult, ActionSpec } from './ActionResult.js';
import { CoordinatorHttpError } from './CoordinatorHttpError.js';

/** Configuration of a {@link RemoteExecutor}. */
export interface RemoteExecutorConfig {
  /** Coordinator that runs the actions, unless `execute()` names another. */
  readonly coordinatorUrl?: string | URL;
  /**
   * Bound of one action's exchange with the coordinator, its run included (ms or a duration
   * string). Keep it above the actions' own `spec.timeoutMs`. @default 600_000 (10 minutes)
   */
  readonly timeoutMs?: Duration;
}

/** Per-call options of {@link RemoteExecutor.execute}. */
export interface RemoteExecuteOptions {
  /** Send this action to this coordinator instead of the configured one. */
  readonly coordinatorUrl?: string | URL | undefined;
  /** Aborts the call (the coordinator then kills the command); the call rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
}

const DEFAULT_TIMEOUT_MS = 600_000;
/** Largest answer read: the coordinator's output limits are far below it. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

function invalidAnswer(url: string, why: string): TransportError {
  return new TransportError('BAD_RESPONSE', `coordinator at ${url} sent an invalid action result: ${why}`, url, { status: 200 });
}

/** Reads an ActionResult from the coordinator's answer. @throws TransportError BAD_RESPONSE. */
function toActionResult(text: string, url: string): ActionResult {
  let v: Record<string, unknown>;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TypeError('not a JSON object');
    v = parsed as Record<string, unknown>;
  } catch (error) {
    throw invalidAnswer(url, (error as Error).message);
  }
  if (typeof v.actionId !== 'string') throw invalidAnswer(url, 'actionId is not a string');
  if (typeof v.exitCode !== 'number' || !Number.isInteger(v.exitCode)) throw invalidAnswer(url, 'exitCode is not an integer');
  if (typeof v.stdout !== 'string' || typeof v.stderr !== 'string') throw invalidAnswer(url, 'stdout or stderr is not a string');
  if (typeof v.durationMs !== 'number' || !(v.durationMs >= 0)) throw invalidAnswer(url, 'durationMs is not a number >= 0');
  return {
    actionId: v.actionId,
    exitCode: v.exitCode,
    stdout: v.stdout,
    stderr: v.stderr,
    durationMs: v.durationMs,
    signal: typeof v.signal === 'string' ? v.signal : null,
    timedOut: v.timedOut === true,
    truncated: v.truncated === true,
  };
}

/**
 * Runs actions on a coordinator, with no protection: `execute()` POSTs the action as JSON
 * ({@link ActionRequest}) to `${coordinatorUrl}/actions` and resolves with the coordinator's
 * {@link ActionResult} — whatever the command's exit code. The request is not checked here: the
 * coordinator checks it and refuses a malformed one with 400.
 *
 * Rejects with {@link CoordinatorHttpError} (a non-2xx answer: 400 malformed request, 503
 * saturated, …) or TransportError `NETWORK` (no answer), `TIMEOUT` (no answer within
 * `timeoutMs`), `BAD_RESPONSE` (an answer that is not an action result), `INVALID_URL` (no
 * usable coordinator URL).
 */
export class RemoteExecutor {
  /** The configured coordinator, if any. */
  readonly coordinatorUrl: URL | undefined;
  /** Bound of one action's exchange, ms. */
  readonly timeoutMs: number;

  /**
   * @throws TransportError `INVALID_URL` for a configured URL that is not an absolute http(s) base
   *   URL; RangeError / TypeError for a bad `timeoutMs`.
   */
  constructor(config: RemoteExecutorConfig = {}) {
    this.coordinatorUrl = config.coordinatorUrl === undefined ? undefined : parseBaseUrl(config.coordinatorUrl, 'coordinatorUrl').unwrap();
    this.timeoutMs = parseDuration(config.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs');
  }

  /** Runs `command` in `workDir` on the coordinator as action `actionId` and resolves with its result. */
  async execute(actionId: string, spec: ActionSpec, command: readonly string[], workDir: string, options: RemoteExecuteOptions = {}): Promise<ActionResult> {
    const base = this.#coordinator(options.coordinatorUrl);
    const url = joinPath(base, '/actions');
    const request: ActionRequest = { actionId, spec: spec ?? {}, command, workDir };
    const answer = await postJson(url, request, { timeoutMs: this.timeoutMs, signal: options.signal, maxResponseBytes: MAX_RESPONSE_BYTES });
    if (answer.status < 200 || answer.status > 299) {
      const retryAfter = retryAfterMs(answer.headers.get('retry-after'));
      throw new CoordinatorHttpError(answer.status, `coordinator at ${url} refused action ${JSON.stringify(actionId)} with ${answer.status}: ${errorText(answer.text)}`, url, retryAfter);
    }
    return toActionResult(answer.text, url);
  }

  #coordinator(override: string | URL | undefined): URL {
    if (override !== undefined) return parseBaseUrl(override, 'coordinatorUrl').unwrap();
    if (this.coordinatorUrl === undefined) {
      throw new TransportError('INVALID_URL', 'coordinatorUrl: no coordinator configured (give RemoteExecutor a coordinatorUrl, or use ResilientRemoteExecutor)', '');
    }
    return this.coordinatorUrl;
  }
}

/** Retry-After in ms, from its delay-seconds form (the only one the coordinator sends). */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\s*\d+\s*$/.test(header)) return undefined;
  return Number(header) * 1000;
}
