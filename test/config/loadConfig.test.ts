import { describe, expect, it } from 'vitest';
import { loadConfig, type Policy, PolicyPresets, parseConfig } from '../../src/index.js';
import { tree } from './support.js';

/** The specification's example, verbatim. */
const SPEC_EXAMPLE = `# .builderconfig
resilience:
  enabled: true
  default_policy: standard
  
  endpoints:
    cache-server:
      policy: network
      rate_limit: 200
      burst: 400
      
    coordinator:
      policy: high_throughput
      circuit_breaker:
        threshold: 0.4
        window: 30s
        timeout: 60s
`;

describe('loadConfig: the specification shape', () => {
  it("reads the specification's example into complete policies", () => {
    const dir = tree({ '.builderconfig': SPEC_EXAMPLE });
    const config = loadConfig({ cwd: dir });
    expect(config.file).toBe(`${dir}/.builderconfig`);
    expect(config.enabled).toBe(true);
    expect(config.defaultPreset).toBe('standard');
    expect(config.defaultPolicy).toEqual(PolicyPresets.standard());
    expect([...config.endpoints.keys()]).toEqual(['cache-server', 'coordinator']);
    expect(config.endpoints.get('cache-server')).toEqual({ ...PolicyPresets.network(), rate: 200, burst: 400 });
    expect(config.endpoints.get('coordinator')).toEqual({
      ...PolicyPresets.highThroughput(),
      failureThreshold: 0.4,
      windowMs: 30_000,
      openTimeoutMs: 60_000,
    });
  });

  it('sets every policy field from the file', () => {
    const config = parseConfig(`
resilience:
  default_policy: relaxed
  endpoints:
    everything:
      policy: critical
      rate_limit: 12.5
      burst: 7
      adaptive: false
      failure_classifier: network
      circuit_breaker:
        threshold: 0.25
        window: 2m
        timeout: 500ms
        minimum_requests: 3
        window_buckets: 4
        half_open_trials: 6
        half_open_successes: 2
        trial_timeout: 45s
`);
    const expected: Policy = {
      failureThreshold: 0.25,
      minimumRequests: 3,
      windowMs: 120_000,
      windowBuckets: 4,
      openTimeoutMs: 500,
      halfOpenTrials: 6,
      halfOpenSuccesses: 2,
      trialTimeoutMs: 45_000,
      rate: 12.5,
      burst: 7,
      adaptive: false,
      classifier: 'network',
    };
    expect(config.endpoints.get('everything')).toEqual(expected);
    expect(config.defaultPolicy).toEqual(PolicyPresets.relaxed());
    expect(config.defaultPreset).toBe('relaxed');
  });

  it('durations: strings with ms, s, m (and h), or plain numbers of milliseconds', () => {
    const config = parseConfig(`
resilience:
  endpoints:
    a: { circuit_breaker: { window: 500ms, timeout: 30s, trial_timeout: 2m } }
    b: { circuit_breaker: { window: 1500, timeout: 1h, trial_timeout: '1.5s' } }
`);
    expect(config.endpoints.get('a')).toMatchObject({ windowMs: 500, openTimeoutMs: 30_000, trialTimeoutMs: 120_000 });
    expect(config.endpoints.get('b')).toMatchObject({ windowMs: 1500, openTimeoutMs: 3_600_000, trialTimeoutMs: 1500 });
  });

  it('every preset, in snake_case (and highThroughput, the API spelling); endpoints without policy take default_policy', () => {
    const names = { critical: 'critical', standard: 'standard', network: 'network', high_throughput: 'highThroughput', relaxed: 'relaxed' } as const;
    for (const [fileName, api] of Object.entries(names)) {
      const config = parseConfig(`resilience:\n  default_policy: ${fileName}\n  endpoints:\n    plain: {}\n    named:\n      policy: ${fileName}\n`);
      expect(config.defaultPreset).toBe(api);
      expect(config.defaultPolicy).toEqual(PolicyPresets[api]());
      expect(config.endpoints.get('plain')).toEqual(PolicyPresets[api]());
      expect(config.endpoints.get('named')).toEqual(PolicyPresets[api]());
    }
    expect(parseConfig('resilience:\n  default_policy: highThroughput\n').defaultPreset).toBe('highThroughput');
  });

  it('half_open_trials alone makes every trial needed to close (as PolicyBuilder.withHalfOpenTrials)', () => {
    const config = parseConfig('resilience:\n  endpoints:\n    r:\n      policy: relaxed\n      circuit_breaker:\n        half_open_trials: 4\n');
    expect(config.endpoints.get('r')).toMatchObject({ halfOpenTrials: 4, halfOpenSuccesses: 4 });
  });

  it('rate_limit: .inf is no limit', () => {
    expect(parseConfig('resilience:\n  endpoints:\n    free:\n      rate_limit: .inf\n').endpoints.get('free')?.rate).toBe(Number.POSITIVE_INFINITY);
  });

  it('__proto__, constructor and other Object.prototype names are ordinary endpoint names', () => {
    const config = parseConfig(`
resilience:
  endpoints:
    __proto__:
      burst: 3
    constructor:
      burst: 4
    hasOwnProperty: {}
    toString:
`);
    expect([...config.endpoints.keys()]).toEqual(['__proto__', 'constructor', 'hasOwnProperty', 'toString']);
    expect(config.endpoints.get('__proto__')?.burst).toBe(3);
    expect(config.endpoints.get('constructor')?.burst).toBe(4);
    expect(config.endpoints.get('toString')).toEqual(PolicyPresets.standard());
    expect(({} as Record<string, unknown>).burst).toBeUndefined();
  });

  it('empty sections and an empty file mean the defaults; other top-level sections belong to other tools', () => {
    for (const text of ['', '# only a comment\n', 'resilience:\n', 'resilience:\n  endpoints:\n', 'cache:\n  dir: /tmp\nworkers: 4\nsilence: true\nresilience_dashboard: {}\n']) {
      const config = parseConfig(text);
      expect(config.enabled).toBe(true);
      expect(config.defaultPolicy).toEqual(PolicyPresets.standard());
      expect(config.endpoints.size).toBe(0);
    }
    expect(parseConfig('resilience:\n  enabled: false\n').enabled).toBe(false);
  });

  it('anchors and aliases within reason are followed', () => {
    const config = parseConfig(`
strict: &strict
  threshold: 0.2
  timeout: 5s
resilience:
  endpoints:
    a: { circuit_breaker: *strict }
    b: { circuit_breaker: *strict, burst: 9 }
`);
    expect(config.endpoints.get('a')).toMatchObject({ failureThreshold: 0.2, openTimeoutMs: 5000 });
    expect(config.endpoints.get('b')).toMatchObject({ failureThreshold: 0.2, burst: 9 });
  });

  it('the result is frozen, and its endpoints keep file order', () => {
    const config = parseConfig('resilience:\n  endpoints:\n    zeta: {}\n    "10": {}\n    alpha: {}\n');
    expect(Object.isFrozen(config)).toBe(true);
    expect([...config.endpoints.keys()]).toEqual(['zeta', '10', 'alpha']);
  });
});
