import { Counter, Gauge, type Registry, register as defaultRegistry } from 'prom-client';
import type { ResilienceService } from '../service/ResilienceService.js';

/** Options of {@link registerResilienceMetrics}. */
export interface PrometheusMetricsOptions {
  /** Put before every metric name, e.g. `'builder_'` (for two services on one registry). @default '' */
  readonly prefix?: string;
}

/** The collectors of one service on one registry. */
export interface ResilienceCollectors {
  /** Names of the metrics registered (with the prefix). */
  readonly names: readonly string[];
  /** Removes the metrics from the registry. */
  unregister(): void;
  [Symbol.dispose](): void;
}

/** One endpoint at one scrape. */
interface Row {
  readonly endpoint: string;
  readonly state: number;
  readonly failureRate: number;
  readonly windowFailureRate: number;
  readonly requests: number;
  readonly failures: number;
  readonly breakerRejections: number;
  readonly transitions: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly currentRate: number;
  readonly nominalRate: number;
  readonly avgWaitSeconds: number;
  readonly waitSeconds: number;
  readonly waitedCalls: number;
}

interface Definition {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly value: (row: Row) => number;
}

/**
 * Every metric, as the README's table lists it. Label: `endpoint`. Counters count since the
 * endpoint was registered or its statistics were reset (`resetStats` shows as a counter reset).
 */
export const RESILIENCE_METRICS: readonly Definition[] = [
  { name: 'circuit_breaker_state', type: 'gauge', help: 'Circuit breaker state: 0 closed, 1 open, 2 half-open.', value: (r) => r.state },
  {
    name: 'circuit_breaker_failure_rate',
    type: 'gauge',
    help: 'Failed calls / admitted calls since registration or resetStats (0 to 1).',
    value: (r) => r.failureRate,
  },
  {
    name: 'circuit_breaker_window_failure_rate',
    type: 'gauge',
    help: 'Failure rate in the rolling window the breaker decides on (0 to 1).',
    value: (r) => r.windowFailureRate,
  },
  { name: 'circuit_breaker_transitions_total', type: 'counter', help: 'Circuit breaker state transitions.', value: (r) => r.transitions },
  { name: 'circuit_breaker_rejections_total', type: 'counter', help: 'Calls refused because the circuit was open.', value: (r) => r.breakerRejections },
  { name: 'resilience_requests_total', type: 'counter', help: 'Calls admitted (made).', value: (r) => r.requests },
  { name: 'resilience_failures_total', type: 'counter', help: 'Admitted calls recorded as failures.', value: (r) => r.failures },
  { name: 'rate_limit_accepted_total', type: 'counter', help: 'Calls that got a token.', value: (r) => r.accepted },
  { name: 'rate_limit_rejections_total', type: 'counter', help: 'Calls refused for want of a token.', value: (r) => r.rejected },
  { name: 'rate_limit_current_rate', type: 'gauge', help: 'Tokens per second allowed now (after adaptive scaling).', value: (r) => r.currentRate },
  { name: 'rate_limit_nominal_rate', type: 'gauge', help: "Tokens per second of the endpoint's policy.", value: (r) => r.nominalRate },
  {
    name: 'rate_limit_wait_seconds_avg',
    type: 'gauge',
    help: 'Mean time an admitted call waited for its token, seconds.',
    value: (r) => r.avgWaitSeconds,
  },
  { name: 'rate_limit_wait_seconds_total', type: 'counter', help: 'Time admitted calls spent waiting for tokens, seconds.', value: (r) => r.waitSeconds },
  { name: 'rate_limit_waited_calls_total', type: 'counter', help: 'Admitted calls that had to wait for their token.', value: (r) => r.waitedCalls },
];

/** Reads every registered endpoint of `service` from its slab. */
function read(service: ResilienceService): Row[] {
  const rows: Row[] = [];
  for (const s of service.getAllStats()) {
    // An endpoint unregistered since getAllStats() is left out rather than registered again.
    if (!service.hasEndpoint(s.endpoint)) continue;
    const breaker = service.getBreakerStatistics(s.endpoint);
    const m = s.limiterMetrics;
    rows.push({
      endpoint: s.endpoint,
      state: s.breakerState,
      failureRate: s.failureRate,
      windowFailureRate: breaker.window.failureRate,
      requests: s.totalRequests,
      failures: s.failures,
      breakerRejections: s.rejectedByBreaker,
      transitions: breaker.transitions,
      accepted: m.accepted,
      rejected: m.rejected,
      currentRate: m.currentRate,
      nominalRate: m.nominalRate,
      avgWaitSeconds: m.avgWaitTimeMs / 1000,
      waitSeconds: (m.avgWaitTimeMs * m.accepted) / 1000,
      waitedCalls: m.waitedCalls,
    });
  }
  return rows;
}

/**
 * Registers the service's metrics on a prom-client registry (default: prom-client's global
 * `register`). Nothing is counted per call: at each scrape the collectors read `getAllStats()`
 * — the slab, which every thread updates — once, and every metric of that scrape comes from
 * that one reading.
 *
 * @throws Error (prom-client's) when a metric of the same name is already registered; use `prefix`.
 */
export function registerResilienceMetrics(
  service: ResilienceService,
  registry: Registry = defaultRegistry,
  options: PrometheusMetricsOptions = {},
): ResilienceCollectors {
  const prefix = options.prefix ?? '';
  if (typeof prefix !== 'string' || !/^[a-zA-Z_:]?[a-zA-Z0-9_:]*$/.test(prefix)) {
    throw new RangeError(`prefix: expected letters, digits, '_' or ':' not starting with a digit, got ${JSON.stringify(prefix)}`);
  }
  // One reading per scrape: prom-client calls every collect() synchronously when it scrapes, so
  // the reading is kept until the next microtask.
  let snapshot: Row[] | undefined;
  const rows = (): Row[] => {
    if (snapshot === undefined) {
      snapshot = read(service);
      queueMicrotask(() => {
        snapshot = undefined;
      });
    }
    return snapshot;
  };
  const names = RESILIENCE_METRICS.map((d) => prefix + d.name);
  for (const name of names) {
    if (registry.getSingleMetric(name) !== undefined) throw new Error(`A metric with the name ${name} has already been registered.`);
  }
  for (const d of RESILIENCE_METRICS) {
    const common = { name: prefix + d.name, help: d.help, labelNames: ['endpoint'] as const, registers: [registry] };
    if (d.type === 'gauge') {
      new Gauge({
        ...common,
        collect(this: Gauge<'endpoint'>) {
          this.reset();
          for (const row of rows()) this.set({ endpoint: row.endpoint }, d.value(row));
        },
      });
    } else {
      new Counter({
        ...common,
        collect(this: Counter<'endpoint'>) {
          this.reset();
          for (const row of rows()) this.inc({ endpoint: row.endpoint }, d.value(row));
        },
      });
    }
  }
  let registered = true;
  const unregister = (): void => {
    if (!registered) return;
    registered = false;
    for (const name of names) registry.removeSingleMetric(name);
  };
  return { names, unregister, [Symbol.dispose]: unregister };
}
