import { err, ok, type Result } from '../Result.js';
import { TransportError } from './TransportError.js';

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof URL) return JSON.stringify(value.href);
  return value === null ? 'null' : typeof value;
}

/**
 * Parses the base URL of a peer (`what` names it in messages): an absolute http: or https: URL,
 * without credentials, query or fragment. Its path, if any, is kept as a prefix of every request
 * path (a trailing slash is dropped).
 */
export function parseBaseUrl(value: unknown, what: string): Result<URL, TransportError> {
  const text = describe(value);
  const invalid = (why: string): Result<URL, TransportError> =>
    err(new TransportError('INVALID_URL', `${what}: ${text} ${why}`, typeof value === 'string' ? value : value instanceof URL ? value.href : String(value)));
  if (typeof value !== 'string' && !(value instanceof URL)) return invalid('is not a URL (expected a string such as "http://127.0.0.1:8080")');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return invalid('is not a valid absolute URL (expected e.g. "http://127.0.0.1:8080")');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return invalid(`has protocol ${url.protocol}; expected http: or https:`);
  if (url.username !== '' || url.password !== '') return invalid('contains credentials; they are not supported');
  if (url.search !== '' || url.hash !== '') return invalid('has a query or fragment; give the base URL only');
  const base = new URL(url.href);
  base.pathname = url.pathname.replace(/\/+$/, '');
  return ok(base);
}

/** `base` with `path` (starting with '/') appended to its path. */
export function joinPath(base: URL, path: string): string {
  return `${base.origin}${base.pathname.replace(/\/+$/, '')}${path}`;
}
