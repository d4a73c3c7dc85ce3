/**
 * The Prometheus collectors: a service whose endpoints were driven from two worker threads is
 * scraped in the main thread; the exposition parses (our strict parser, and promtool when it is
 * installed — always in CI) and every value equals getAllStats() and the workers' exact counts.
 */
import { spawnSync } from 'node:child_process';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BreakerState, type EndpointStats, ManualClock, type Policy, PolicyPresets, ResilienceService } from '../../src/index.js';
import { RESILIENCE_METRICS, registerResilienceMetrics } from '../../src/prometheus.js';
import type { DriverData, DriverResult } from '../fixtures/metrics-protocol.js';
import { Crew, controlWords } from '../support/sync.js';
import { type Family, parseExposition, sampleValue } from './exposition.js';

const WORKERS = 2;
const CALLS = 3_000;
const LIMITED_CALLS = 500;
const OPEN_CALLS = 400;
const BURST = 321;
const failEvery = 7;

/** Unlimited, never opens. */
const counting = (): Policy => ({ ...PolicyPresets.standard(), rate: Number.POSITIVE_INFINITY, failureThreshold: 1, minimumRequests: 2 ** 30 });
/** A bucket of BURST tokens that the stopped clock never refills. */
const limiting = (): Policy => ({ ...counting(), rate: 10, burst: BURST, adaptive: false });
/** Opens on the first failure, for a day. */
const opening = (): Policy => ({ ...counting(), failureThreshold: 0.5, minimumRequests: 1, openTimeoutMs: 86_400_000 });

const EXPECTED_NAMES = [
  'circuit_breaker_state',
  'circuit_breaker_failure_rate',
  'circuit_breaker_window_failure_rate',
  'circuit_breaker_transitions_total',
  'circuit_breaker_rejections_total',
  'resilience_requests_total',
  'resilience_failures_total',
  'rate_limit_accepted_total',
  'rate_limit_rejections_total',
  'rate_limit_current_rate',
  'rate_limit_nominal_rate',
  'rate_limit_wait_seconds_avg',
  'rate_limit_wait_seconds_total',
  'rate_limit_waited_calls_total',
];

/** Runs `promtool check metrics` on `text`: undefined when promtool is not installed. */
function promtool(text: string): { status: number | null; output: string } | undefined {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (run.error !== undefined && (run.error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** What each metric must read for `s` (the README's table, as data). */
function expectedValues(s: EndpointStats, service: ResilienceService): Record<string, number> {
  const b = service.getBreakerStatistics(s.endpoint);
  const m = s.limiterMetrics;
  return {
    circuit_breaker_state: s.breakerState,
    circuit_breaker_failure_rate: s.failureRate,
    circuit_breaker_window_failure_rate: b.window.failureRate,
    circuit_breaker_transitions_total: b.transitions,
    circuit_breaker_rejections_total: s.rejectedByBreaker,
    resilience_requests_total: s.totalRequests,
    resilience_failures_total: s.failures,
    rate_limit_accepted_total: m.accepted,
    rate_limit_rejections_total: m.rejected,
    rate_limit_current_rate: m.currentRate,
    rate_limit_nominal_rate: m.nominalRate,
    rate_limit_wait_seconds_avg: m.avgWaitTimeMs / 1000,
    rate_limit_wait_seconds_total: (m.avgWaitTimeMs * m.accepted) / 1000,
    rate_limit_waited_calls_total: m.waitedCalls,
  };
}

function checkAgainstStats(families: Map<string, Family>, service: ResilienceService): void {
  const stats = service.getAllStats();
  for (const name of EXPECTED_NAMES) {
    expect(families.get(name)?.samples.map((s) => s.labels.endpoint).sort()).toEqual(stats.map((s) => s.endpoint).sort());
  }
  for (const s of stats) {
    const scraped = Object.fromEntries(EXPECTED_NAMES.map((name) => [name, sampleValue(families, name, s.endpoint)]));
    expect(scraped, s.endpoint).toEqual(expectedValues(s, service));
  }
}

describe('Prometheus collectors', () => {
  it('a scrape of endpoints driven from worker threads parses, passes promtool, and equals getAllStats()', async () => {
    const service = new ResilienceService(counting(), { capacity: 8, clock: new ManualClock(1_000), env: false });
    const registry = new Registry();
    const collectors = registerResilienceMetrics(service, registry);
    service.registerEndpoint('cache-server', counting());
    service.registerEndpoint('limited', limiting());
    service.registerEndpoint('flaky', opening());
    await expect(service.execute('flaky', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(service.endpoint('flaky').state).toBe(BreakerState.Open);

    const control = controlWords(1);
    const data: DriverData = {
      handle: service.handle,
      control: control.buffer as SharedArrayBuffer,
      parties: WORKERS,
      counted: 'cache-server',
      calls: CALLS,
      failEvery,
      limited: 'limited',
      limitedCalls: LIMITED_CALLS,
      open: 'flaky',
      openCalls: OPEN_CALLS,
    };
    const crew = new Crew<DriverResult>('fixtures/metrics-driver.ts', Array.from({ length: WORKERS }, () => data));
    try {
      const results = await crew.results();
      expect(results.flatMap((r) => r.unexpected)).toEqual([]);
      const text = await registry.metrics();
      const families = parseExposition(text);

      // Names, types and help follow the conventions: counters end in _total, gauges do not.
      expect([...families.keys()].sort()).toEqual([...EXPECTED_NAMES].sort());
      for (const d of RESILIENCE_METRICS) {
        const family = families.get(d.name) as Family;
        expect(family.type).toBe(d.type);
        expect(family.help.length).toBeGreaterThan(10);
        expect(family.name.endsWith('_total')).toBe(d.type === 'counter');
      }

      // The workers' exact counts.
      const failures = WORKERS * Math.ceil(CALLS / failEvery);
      expect(results.reduce((n, r) => n + r.failed, 0)).toBe(failures);
      expect(sampleValue(families, 'resilience_requests_total', 'cache-server')).toBe(WORKERS * CALLS);
      expect(sampleValue(families, 'resilience_failures_total', 'cache-server')).toBe(failures);
      expect(sampleValue(families, 'circuit_breaker_failure_rate', 'cache-server')).toBeCloseTo(failures / (WORKERS * CALLS), 12);
      expect(sampleValue(families, 'rate_limit_accepted_total', 'limited')).toBe(BURST);
      expect(sampleValue(families, 'rate_limit_rejections_total', 'limited')).toBe(WORKERS * LIMITED_CALLS - BURST);
      expect(sampleValue(families, 'rate_limit_nominal_rate', 'limited')).toBe(10);
      expect(sampleValue(families, 'rate_limit_current_rate', 'cache-server')).toBe(Number.POSITIVE_INFINITY);
      expect(sampleValue(families, 'circuit_breaker_state', 'flaky')).toBe(1);
      expect(sampleValue(families, 'circuit_breaker_state', 'cache-server')).toBe(0);
      expect(sampleValue(families, 'circuit_breaker_rejections_total', 'flaky')).toBe(WORKERS * OPEN_CALLS);
      expect(sampleValue(families, 'circuit_breaker_transitions_total', 'flaky')).toBe(1);

      // Every value equals getAllStats() (and getBreakerStatistics() for the window and transitions).
      checkAgainstStats(families, service);

      const check = promtool(text);
      if (check === undefined) {
        if (process.env.CI === 'true') throw new Error('promtool is not installed (.ci/run installs the Debian package prometheus)');
        console.warn('promtool not installed: skipping `promtool check metrics` (apt-get install -y prometheus)');
      } else {
        expect(check.output).toBe('');
        expect(check.status).toBe(0);
      }
    } finally {
      await crew.dispose();
      collectors.unregister();
      service.close();
    }
  });

  it('reads the slab at scrape time: a second scrape shows what happened since, and unregistered endpoints go', async () => {
    const service = new ResilienceService(counting(), { clock: new ManualClock(0), env: false });
    const registry = new Registry();
    registerResilienceMetrics(service, registry);
    await service.execute('a', () => 1);
    let families = parseExposition(await registry.metrics());
    expect(sampleValue(families, 'resilience_requests_total', 'a')).toBe(1);
    const ep = service.endpoint('a');
    for (let i = 0; i < 5; i++) ep.record(ep.tryAcquire(), false);
    await service.execute('b', () => 1);
    families = parseExposition(await registry.metrics());
    expect(sampleValue(families, 'resilience_requests_total', 'a')).toBe(6);
    expect(sampleValue(families, 'resilience_failures_total', 'a')).toBe(5);
    expect(sampleValue(families, 'resilience_requests_total', 'b')).toBe(1);
    checkAgainstStats(families, service);
    service.unregisterEndpoint('a');
    families = parseExposition(await registry.metrics());
    expect(sampleValue(families, 'resilience_requests_total', 'a')).toBeUndefined();
    expect(service.hasEndpoint('a')).toBe(false);
    service.close();
  });

  it('escapes endpoint names in labels: quotes, backslashes, newlines, __proto__', async () => {
    const service = new ResilienceService(counting(), { clock: new ManualClock(0), env: false });
    const registry = new Registry();
    registerResilienceMetrics(service, registry);
    const names = ['we"ird\\name\nline', '__proto__', 'constructor', 'ünïcödé ✓'];
    for (const [i, name] of names.entries()) for (let k = 0; k <= i; k++) await service.execute(name, () => k);
    const text = await registry.metrics();
    const families = parseExposition(text);
    for (const [i, name] of names.entries()) expect(sampleValue(families, 'resilience_requests_total', name)).toBe(i + 1);
    checkAgainstStats(families, service);
    const check = promtool(text);
    if (check !== undefined) expect(check.status, check.output).toBe(0);
    service.close();
  });

  it('a prefix names every metric; registering twice on one registry throws; unregister removes them', () => {
    const service = new ResilienceService(counting(), { clock: new ManualClock(0), env: false });
    const registry = new Registry();
    const first = registerResilienceMetrics(service, registry);
    expect(() => registerResilienceMetrics(service, registry)).toThrow(/circuit_breaker_state.*already been registered/);
    const second = registerResilienceMetrics(service, registry, { prefix: 'build_' });
    expect(second.names).toContain('build_circuit_breaker_state');
    expect(registry.getSingleMetric('build_rate_limit_rejections_total')).toBeDefined();
    expect(() => registerResilienceMetrics(service, registry, { prefix: '1bad-' })).toThrow(RangeError);
    first.unregister();
    expect(registry.getSingleMetric('circuit_breaker_state')).toBeUndefined();
    second[Symbol.dispose]();
    expect(registry.getMetricsAsArray()).toEqual([]);
    service.close();
  });

  it('one reading of the slab per scrape, whatever the number of metrics', async () => {
    const service = new ResilienceService(counting(), { clock: new ManualClock(0), env: false });
    const registry = new Registry();
    registerResilienceMetrics(service, registry);
    await service.execute('a', () => 1);
    let reads = 0;
    const original = service.getAllStats.bind(service);
    service.getAllStats = () => {
      reads++;
      return original();
    };
    await registry.metrics();
    expect(reads).toBe(1);
    await registry.metrics();
    expect(reads).toBe(2);
    service.close();
  });
});
