import { describe, expect, it } from 'vitest';
import {
  BreakerState,
  createServiceFromConfig,
  isCapacityError,
  loadConfig,
  ManualClock,
  type Policy,
  PolicyPresets,
  parseConfig,
  ResilienceService,
} from '../../src/index.js';
import { runWorker } from '../support/workers.js';
import { tree } from './support.js';

const FILE = `resilience:
  enabled: true
  default_policy: network
  endpoints:
    cache-server:
      policy: critical
      rate_limit: 200
      burst: 400
    __proto__:
      burst: 7
`;

const open = (env: Record<string, string> | false, text = FILE): ResilienceService =>
  ResilienceService.fromConfig(parseConfig(text), { clock: new ManualClock(0), env });

async function failTimes(service: ResilienceService, endpoint: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await service.execute(endpoint, () => Promise.reject(new Error('down'))).catch(() => {});
}

describe('ResilienceService.fromConfig / createServiceFromConfig', () => {
  it('registers every endpoint with its policy and uses default_policy for the rest', async () => {
    const service = open({});
    try {
      expect(service.endpointNames().sort()).toEqual(['__proto__', 'cache-server']);
      expect(service.policyOf('cache-server')).toEqual({ ...PolicyPresets.critical(), rate: 200, burst: 400 });
      expect(service.policyOf('__proto__')).toEqual({ ...PolicyPresets.network(), burst: 7 });
      expect(service.defaultPolicy).toEqual(PolicyPresets.network());
      expect(service.passThrough).toBe(false);
      await failTimes(service, 'cache-server', 5);
      expect(service.endpoint('cache-server').state).toBe(BreakerState.Open);
    } finally {
      service.close();
    }
  });

  it('createServiceFromConfig() reads the .builderconfig it finds', () => {
    const dir = tree({ '.builderconfig': FILE, 'src/.keep': '' });
    const service = createServiceFromConfig(loadConfig({ cwd: `${dir}/src` }), { clock: new ManualClock(0), env: false });
    expect(service.getLimiterMetrics('cache-server').nominalRate).toBe(200);
    service.close();
    const before = process.cwd();
    process.chdir(`${dir}/src`);
    try {
      const found = createServiceFromConfig(undefined, { clock: new ManualClock(0), env: false });
      expect(found.policyOf('__proto__').burst).toBe(7);
      found.close();
    } finally {
      process.chdir(before);
    }
  });

  it('enabled: false is pass-through: failures never open a circuit, statistics still count', async () => {
    const service = open({}, FILE.replace('enabled: true', 'enabled: false'));
    try {
      expect(service.passThrough).toBe(true);
      await failTimes(service, 'cache-server', 20);
      expect(service.endpoint('cache-server').state).toBe(BreakerState.Closed);
      expect(service.getBreakerStatistics('cache-server').failures).toBe(20);
    } finally {
      service.close();
    }
  });

  describe('environment switches override the file', () => {
    it('BUILDER_STRICT_RESILIENCE replaces default_policy; the file’s endpoints keep their policies', () => {
      const service = open({ BUILDER_STRICT_RESILIENCE: '1' });
      expect(service.defaultPolicy).toEqual(PolicyPresets.critical());
      expect(service.policyOf('unlisted')).toEqual(PolicyPresets.critical());
      expect(service.policyOf('__proto__')).toEqual({ ...PolicyPresets.network(), burst: 7 });
      service.close();
    });

    it('BUILDER_RELAXED_RESILIENCE replaces default_policy; STRICT wins over RELAXED', () => {
      const relaxed = open({ BUILDER_RELAXED_RESILIENCE: 'true' });
      expect(relaxed.defaultPolicy).toEqual(PolicyPresets.relaxed());
      relaxed.close();
      const both = open({ BUILDER_RELAXED_RESILIENCE: '1', BUILDER_STRICT_RESILIENCE: '1' });
      expect(both.defaultPolicy).toEqual(PolicyPresets.critical());
      both.close();
    });

    it('BUILDER_DISABLE_RESILIENCE=1 makes it pass-through although the file says enabled: true', () => {
      const service = open({ BUILDER_DISABLE_RESILIENCE: '1' });
      expect(service.passThrough).toBe(true);
      expect(service.policyOf('cache-server').rate).toBe(200);
      service.close();
    });

    it('BUILDER_DISABLE_RESILIENCE=0 enables it although the file says enabled: false; an empty value does not', () => {
      const disabled = FILE.replace('enabled: true', 'enabled: false');
      for (const value of ['0', 'false', 'no', 'off', ' OFF ']) {
        const service = open({ BUILDER_DISABLE_RESILIENCE: value }, disabled);
        expect(service.passThrough, value).toBe(false);
        service.close();
      }
      const empty = open({ BUILDER_DISABLE_RESILIENCE: '' }, disabled);
      expect(empty.passThrough).toBe(true);
      empty.close();
    });

    it('env: false ignores the switches; a bad switch value is a RangeError naming it', () => {
      const service = ResilienceService.fromConfig(parseConfig(FILE), { clock: new ManualClock(0), env: false });
      expect(service.defaultPolicy).toEqual(PolicyPresets.network());
      service.close();
      expect(() => open({ BUILDER_STRICT_RESILIENCE: 'maybe' })).toThrow(/BUILDER_STRICT_RESILIENCE.*maybe/);
    });
  });

  it('never half-applied: a policy that does not check, or more endpoints than capacity, throws before anything is used', () => {
    const bad = { enabled: true, defaultPolicy: PolicyPresets.standard(), endpoints: new Map<string, Policy>([['ok', PolicyPresets.standard()], ['bad', { ...PolicyPresets.standard(), burst: 0 }]]) };
    expect(() => ResilienceService.fromConfig(bad, { clock: new ManualClock(0), env: false })).toThrow(/endpoint "bad": burst/);
    const many = parseConfig('resilience:\n  endpoints:\n    a: {}\n    b: {}\n    c: {}\n');
    let error: unknown;
    try {
      ResilienceService.fromConfig(many, { clock: new ManualClock(0), env: false, capacity: 2 });
    } catch (e) {
      error = e;
    }
    expect(isCapacityError(error)).toBe(true);
    expect(() => ResilienceService.fromConfig({ enabled: 'yes' } as never)).toThrow(TypeError);
  });

  it('accepts a plain object of endpoints as well as a Map', () => {
    const service = ResilienceService.fromConfig(
      { enabled: true, defaultPolicy: PolicyPresets.standard(), endpoints: { api: PolicyPresets.relaxed() } },
      { clock: new ManualClock(0), env: false },
    );
    expect(service.policyOf('api')).toEqual(PolicyPresets.relaxed());
    service.close();
  });

  it('worker threads attached to a service built from a file see its endpoints, policies and mode', async () => {
    const service = open({ BUILDER_DISABLE_RESILIENCE: '1' });
    try {
      const seen = await runWorker<{ names: string[]; passThrough: boolean; policies: [string, Policy][]; defaultPolicy: Policy }>('fixtures/config-policies.ts', {
        handle: service.handle,
        names: ['cache-server', '__proto__'],
      });
      expect(seen.names.sort()).toEqual(['__proto__', 'cache-server']);
      expect(seen.passThrough).toBe(true);
      expect(Object.fromEntries(seen.policies.map(([n, p]) => [n, p]))).toEqual({
        'cache-server': service.policyOf('cache-server'),
        ['__proto__']: service.policyOf('__proto__'),
      });
      expect(seen.defaultPolicy).toEqual(PolicyPresets.network());
    } finally {
      service.close();
    }
  });
});
