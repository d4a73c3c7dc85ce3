/** Settings of a demo run. */
export interface DemoConfig {
  readonly start: number;
  readonly durationMs: number;
  readonly actionsPerWorker: number;
  /** [from, to) in ms after the start during which cache-1 refuses connections. */
  readonly down: readonly [number, number];
  /** [from, to) during which cache-2 answers slower than the calls' timeout. */
  readonly slow: readonly [number, number];
}

/** What is wrong with `endpoint` `elapsed` ms into the run. */
export function faultAt(config: DemoConfig, endpoint: string, elapsed: number): 'down' | 'slow' | undefined {
  if (endpoint === 'cache-1' && elapsed >= config.down[0] && elapsed < config.down[1]) return 'down';
  if (endpoint === 'cache-2' && elapsed >= config.slow[0] && elapsed < config.slow[1]) return 'slow';
  return undefined;
}
