import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { availableParallelism } from 'node:os';
import { type Duration, parseDuration } from '../../policy/duration.js';
import { checkPort, checkPositiveInt, HttpProblem, listen, readJson, sendJson, sendProblem } from '../transport/jsonServer.js';
import { parseActionRequest } from './parseActionRequest.js';
import { type RunningAction, runAction } from './runAction.js';

/** Options of {@link startCoordinator}. */
export interface CoordinatorOptions {
  /** TCP port; 0 picks a free one (read it from `url`). @default 0 */
  readonly port?: number;
  /** Address to listen on. @default '127.0.0.1' (loopback only: the coordinator runs any command it is sent) */
  readonly host?: string;
  /** Actions run at once; one more is refused with 503. @default os.availableParallelism() */
  readonly maxConcurrent?: number;
  /** Longest run of an action (ms or a duration string); `spec.timeoutMs` may only lower it. @default 600_000 */
  readonly actionTimeoutMs?: Duration;
  /** Bytes kept of each of an action's stdout and stderr. @default 1 MiB */
  readonly maxOutputBytes?: number;
  /** Largest request body, bytes. @default 1 MiB */
  readonly maxBodyBytes?: number;
}

/** A running coordinator. */
export interface Coordinator {
  /** Its base URL, e.g. `http://127.0.0.1:41234`: give it to `ResilientRemoteExecutor`. */
  readonly url: string;
  /** Actions running now. */
  readonly running: number;
  /** Stops taking actions, kills the running ones (their callers get their results, killed), closes the server. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a small build coordinator — for tests, the demo and local use — that really runs
 * actions: `POST /actions` with an `ActionRequest` runs its `command` (argv, no shell) in
 * `workDir`, in a child process with a timeout and bounded output, and answers 200 with the
 * `ActionResult` (a command that fails is a 200 too: its result has `exitCode` ≠ 0). It answers
 * 400 for a malformed request (naming the field; `workDir` must be an absolute, existing
 * directory), 413 for a body over `maxBodyBytes`, 503 with `Retry-After: 1` when
 * `maxConcurrent` actions are running or it is closing, 500 when it cannot start a command for a
 * reason other than a missing program (127) or a non-executable one (126). A caller that
 * disconnects has its action killed. `GET /health` answers `{ running, maxConcurrent }`.
 */
export async function startCoordinator(options: CoordinatorOptions = {}): Promise<Coordinator> {
  const port = checkPort(options.port ?? 0);
  const maxConcurrent = checkPositiveInt(options.maxConcurrent ?? availableParallelism(), 'maxConcurrent');
  const actionTimeoutMs = parseDuration(options.actionTimeoutMs ?? 600_000, 'actionTimeoutMs');
  if (actionTimeoutMs < 1) throw new RangeError(`actionTimeoutMs: expected at least 1 ms, got ${String(options.actionTimeoutMs)}`);
  const maxOutputBytes = checkPositiveInt(options.maxOutputBytes ?? 1024 * 1024, 'maxOutputBytes');
  const maxBodyBytes = checkPositiveInt(options.maxBodyBytes ?? 1024 * 1024, 'maxBodyBytes');
  const running = new Set<RunningAction>();
  const handlers = new Set<Promise<void>>();
  let closing = false;

  const runRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const request = await parseActionRequest(await readJson(req, maxBodyBytes));
    // No await between this check and the add below: the count cannot be passed.
    if (closing) throw new HttpProblem(503, 'the coordinator is shutting down');
    if (running.size >= maxConcurrent) {
      sendJson(res, 503, { error: `saturated: ${running.size} of ${maxConcurrent} actions running; try again later` }, { 'retry-after': '1' });
      return;
    }
    if (req.socket.destroyed) return; // the caller went away while the request was checked
    const action = runAction(request, { timeoutMs: Math.min(request.spec.timeoutMs ?? actionTimeoutMs, actionTimeoutMs), maxOutputBytes });
    running.add(action);
    res.once('close', () => {
      if (!res.writableEnded) action.kill();
    });
    try {
      sendJson(res, 200, await action.result);
    } finally {
      running.delete(action);
    }
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) {
      sendJson(res, 200, { running: running.size, maxConcurrent });
      return;
    }
    if (path !== '/actions' && path !== '/health') throw new HttpProblem(404, `no such resource: ${path} (POST /actions, GET /health)`);
    if (path === '/health' || req.method !== 'POST') {
      sendJson(res, 405, { error: `${req.method ?? '?'} ${path} is not supported` }, { allow: path === '/health' ? 'GET, HEAD' : 'POST', connection: 'close' });
      return;
    }
    await runRequest(req, res);
  };

  const server = createServer((req, res) => {
    const handled = route(req, res).catch((error: unknown) => sendProblem(res, error));
    handlers.add(handled);
    void handled.finally(() => handlers.delete(handled));
  });
  const url = await listen(server, port, options.host ?? '127.0.0.1');

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      // Stop accepting; answer what is in flight (killed actions answer quickly), then cut the rest.
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const action of running) action.kill();
      await Promise.allSettled([...handlers]);
      server.closeAllConnections();
      await stopped;
    })();
    return closed;
  };
  return {
    url,
    get running() {
      return running.size;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
