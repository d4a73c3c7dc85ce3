/**
 * The outcome of an operation that can fail in an expected way, as a value: `Ok` with a `value`
 * or `Err` with an `error`. `unwrap()` returns the value or throws the error. Both variants carry
 * both fields (the absent one is `undefined`), so `result.error` can be read without narrowing;
 * narrow with `isOk()` / `isErr()` or the `ok` discriminant to get the precise types.
 */
export type Result<T, E> = Ok<T, E> | Err<T, E>;

/** The success variant of a {@link Result}. */
export class Ok<T, E = never> {
  readonly ok = true as const;
  readonly value: T;
  readonly error: undefined = undefined;

  constructor(value: T) {
    this.value = value;
  }

  isOk(): this is Ok<T, E> {
    return true;
  }

  isErr(): this is Err<T, E> {
    return false;
  }

  /** The value. */
  unwrap(): T {
    return this.value;
  }

  /** The value (the fallback is for an Err). */
  unwrapOr(_fallback: T): T {
    return this.value;
  }

  /** @throws TypeError: an Ok has no error. */
  unwrapErr(): E {
    throw new TypeError('unwrapErr() called on an Ok result');
  }

  /** An Ok of `map(value)`. */
  map<U>(map: (value: T) => U): Result<U, E> {
    return new Ok<U, E>(map(this.value));
  }
}

/** The failure variant of a {@link Result}. */
export class Err<T, E> {
  readonly ok = false as const;
  readonly value: undefined = undefined;
  readonly error: E;

  constructor(error: E) {
    this.error = error;
  }

  isOk(): this is Ok<T, E> {
    return false;
  }

  isErr(): this is Err<T, E> {
    return true;
  }

  /** @throws the error itself (an Error keeps its class, message and stack). */
  unwrap(): T {
    throw this.error;
  }

  /** The fallback. */
  unwrapOr(fallback: T): T {
    return fallback;
  }

  /** The error. */
  unwrapErr(): E {
    return this.error;
  }

  /** This Err, unchanged. */
  map<U>(_map: (value: T) => U): Result<U, E> {
    return new Err<U, E>(this.error);
  }
}

/** An Ok result holding `value`. */
export function ok<T, E = never>(value: T): Result<T, E> {
  return new Ok<T, E>(value);
}

/** An Err result holding `error`. */
export function err<T = never, E = unknown>(error: E): Result<T, E> {
  return new Err<T, E>(error);
}
