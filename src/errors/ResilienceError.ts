/** Stable codes of every error this library throws or rejects with. */
export type ResilienceErrorCode =
  | 'CIRCUIT_OPEN'
  | 'RATE_LIMITED'
  | 'TIMEOUT'
  | 'CAPACITY'
  | 'SLAB_ATTACH'
  | 'ENDPOINT_NAME'
  | 'CONFIG';

/** The plain-object form of a {@link ResilienceError}, as it crosses `postMessage`. */
export interface ResilienceErrorJSON {
  readonly name: string;
  readonly code: ResilienceErrorCode;
  readonly message: string;
  readonly endpoint: string | undefined;
}

const BRAND = Symbol.for('@builder/resilience/error');

/**
 * Base of every error of this library: a stable `code`, the endpoint it concerns (when there is
 * one) and a `toJSON` that survives structured cloning. Use the type guards rather than
 * `instanceof` across realms and threads.
 */
export class ResilienceError extends Error {
  readonly code: ResilienceErrorCode;
  readonly endpoint: string | undefined;

  constructor(code: ResilienceErrorCode, message: string, endpoint?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ResilienceError';
    this.code = code;
    this.endpoint = endpoint;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** A plain object that survives structured cloning; `reviveResilienceError` turns it back into an error. */
  toJSON(): ResilienceErrorJSON {
    const extra: Record<string, unknown> = {};
    for (const key of Object.keys(this)) {
      const v = (this as unknown as Record<string, unknown>)[key];
      if (key !== 'code' && key !== 'endpoint' && (typeof v === 'number' || typeof v === 'string')) extra[key] = v;
    }
    return { ...extra, name: this.name, code: this.code, message: this.message, endpoint: this.endpoint };
  }
}

/** True for any error of this library, including one rebuilt from JSON by {@link reviveResilienceError}. */
export function isResilienceError(value: unknown): value is ResilienceError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
