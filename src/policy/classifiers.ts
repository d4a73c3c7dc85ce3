import { classifierId } from './PolicyCodec.js';

/** Decides whether an error thrown by an operation counts as a failure of the endpoint. */
export type FailureClassifier = (error: unknown) => boolean;

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'TIMEOUT',
]);

/** An HTTP status of the 5xx class: the server (or a proxy or gateway in front of it) failed. */
const isServerStatus = (status: unknown): boolean => typeof status === 'number' && status >= 500 && status <= 599;

/**
 * True for errors of the network: connection refused, reset or timed out, DNS failures, socket
 * hang-ups, `fetch` failures (a TypeError whose `cause` is one of these), our own timeouts, and
 * HTTP server errors — an error carrying a numeric `status` or `statusCode` from 500 to 599 (as
 * `CacheHttpError` and most HTTP clients' errors do). A 4xx status (a miss, a refusal, a bad
 * request) is the caller's problem, not the endpoint's, and does not count.
 * Looks through `cause` chains up to 8 deep.
 */
export function isNetworkError(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 8 && typeof e === 'object' && e !== null; depth++) {
    const rec = e as { code?: unknown; message?: unknown; name?: unknown; cause?: unknown; status?: unknown; statusCode?: unknown };
    if (typeof rec.code === 'string' && NETWORK_CODES.has(rec.code)) return true;
    if (isServerStatus(rec.status) || isServerStatus(rec.statusCode)) return true;
    if (typeof rec.message === 'string' && /socket hang up|fetch failed|network error/i.test(rec.message)) return true;
    if (rec.name === 'AbortError' && rec.cause !== undefined) return isNetworkError(rec.cause);
    e = rec.cause;
  }
  return false;
}

const byId = new Map<number, { readonly name: string; readonly classify: FailureClassifier }>([
  [classifierId('all'), { name: 'all', classify: () => true }],
  [classifierId('network'), { name: 'network', classify: isNetworkError }],
]);

/**
 * Registers a classifier under `name`. Policies refer to classifiers by name because worker
 * threads cannot receive functions through shared memory: register the same name in every
 * thread that executes calls (a worker that meets an unknown name counts every error).
 */
export function registerClassifier(name: string, classify: FailureClassifier): void {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`registerClassifier(name): expected a non-empty string, got ${String(name)}`);
  if (typeof classify !== 'function') throw new TypeError(`registerClassifier(${JSON.stringify(name)}, classify): classify must be a function`);
  if (name === 'all' || name === 'network') throw new RangeError(`registerClassifier: ${JSON.stringify(name)} is built in and cannot be replaced`);
  const id = classifierId(name);
  const existing = byId.get(id);
  if (existing !== undefined && existing.name !== name) {
    throw new RangeError(`registerClassifier: ${JSON.stringify(name)} collides with ${JSON.stringify(existing.name)}; choose another name`);
  }
  byId.set(id, { name, classify });
}

/** The classifier with slab id `id`; unknown ids count every error. */
export function classifierById(id: number): FailureClassifier {
  return byId.get(id)?.classify ?? (() => true);
}

/**
 * The classifier registered as `name` in this thread; a name this thread does not know counts
 * every error, as execute() does.
 */
export function classifierNamed(name: string): FailureClassifier {
  return classifierById(classifierId(name));
}

/** The name of the classifier with slab id `id`, as far as this thread knows it. */
export function classifierName(id: number): string {
  return byId.get(id)?.name ?? `unregistered#${(id >>> 0).toString(16)}`;
}
