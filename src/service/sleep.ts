/**
 * Waits, without blocking the thread, until `i32[index]` is no longer `expected` (another thread
 * changed it and called `Atomics.notify`) or `timeoutMs` real milliseconds pass.
 */
export function waitChange(i32: Int32Array, index: number, expected: number, timeoutMs: number): Promise<unknown> {
  const result = Atomics.waitAsync(i32, index, expected, Math.max(0, timeoutMs));
  return result.async ? result.value : Promise.resolve(result.value);
}
