import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  isConfigError,
  isResilienceError,
  loadConfig,
  MAX_CONFIG_BYTES,
  parseConfig,
  ResilienceError,
  reviveResilienceError,
} from '../../src/index.js';
import { configError, messageFor, tree } from './support.js';

const BAD_THRESHOLD = `# .builderconfig
resilience:
  endpoints:
    cache-server:
      policy: network
      circuit_breaker:
        threshold: 1.5
`;

describe('configuration errors', () => {
  it('a bad value: one ConfigError naming file, line, column, key path, what was expected and what was found', () => {
    const dir = tree({ '.builderconfig': BAD_THRESHOLD });
    const error = configError(() => loadConfig({ cwd: dir }));
    expect(error.message).toBe('.builderconfig:7:20 resilience.endpoints.cache-server.circuit_breaker.threshold: expected a number in (0, 1], got 1.5');
    expect(error).toBeInstanceOf(ResilienceError);
    expect(error.name).toBe('ConfigError');
    expect(error.code).toBe('CONFIG');
    expect(isConfigError(error)).toBe(true);
    expect(isResilienceError(error)).toBe(true);
    expect([error.file, error.line, error.column, error.keyPath]).toEqual(['.builderconfig', 7, 20, 'resilience.endpoints.cache-server.circuit_breaker.threshold']);
    expect(error.detail).toBe('expected a number in (0, 1], got 1.5');
    expect(error.issues).toHaveLength(1);
    expect(isConfigError(new Error('x'))).toBe(false);
  });

  it('survives postMessage: toJSON keeps the place, reviveResilienceError gives an error the guard accepts', () => {
    const error = configError(() => parseConfig(BAD_THRESHOLD));
    const json = structuredClone(error.toJSON()) as unknown as Record<string, unknown>;
    expect(json).toMatchObject({ code: 'CONFIG', file: '.builderconfig', line: 7, column: 20, message: error.message });
    const revived = reviveResilienceError(json);
    expect(isConfigError(revived)).toBe(true);
    expect(revived?.message).toBe(error.message);
  });

  it('the file is named as given, or relative to the working directory when found', () => {
    const dir = tree({ 'conf/resilience.yaml': BAD_THRESHOLD, 'project/.builderconfig': BAD_THRESHOLD });
    expect(configError(() => loadConfig({ file: join(dir, 'conf/resilience.yaml') })).message).toMatch(new RegExp(`^${dir}/conf/resilience\\.yaml:7:20 `));
    expect(configError(() => loadConfig({ file: 'conf/resilience.yaml', cwd: dir })).message).toMatch(/^conf\/resilience\.yaml:7:20 /);
    expect(configError(() => loadConfig({ cwd: join(dir, 'project') })).message).toMatch(/^\.builderconfig:7:20 /);
    expect(configError(() => loadConfig(join(dir, 'project', '.builderconfig'))).file).toBe(join(dir, 'project', '.builderconfig'));
  });

  it('unknown keys: an error at the key, with "did you mean" when one is close', () => {
    expect(messageFor('resilience:\n  endpoints:\n    api:\n      circuit_breaker:\n        treshold: 0.5\n')).toBe(
      '.builderconfig:5:9 resilience.endpoints.api.circuit_breaker.treshold: unknown key, did you mean "threshold"?',
    );
    expect(messageFor('resilience:\n  endpoints:\n    api:\n      rate_limt: 5\n')).toBe('.builderconfig:4:7 resilience.endpoints.api.rate_limt: unknown key, did you mean "rate_limit"?');
    expect(messageFor('resilience:\n  endpoints:\n    api:\n      circuit-breaker: {}\n')).toContain('did you mean "circuit_breaker"?');
    expect(messageFor('resilience:\n  defaultPolicy: standard\n')).toBe('.builderconfig:2:3 resilience.defaultPolicy: unknown key, did you mean "default_policy"?');
    expect(messageFor('resilence:\n  enabled: true\n')).toBe('.builderconfig:1:1 resilence: unknown key, did you mean "resilience"?');
    expect(messageFor('resilience:\n  endpoints:\n    api:\n      colour: blue\n')).toBe(
      '.builderconfig:4:7 resilience.endpoints.api.colour: unknown key (expected one of: policy, rate_limit, burst, adaptive, failure_classifier, circuit_breaker)',
    );
  });

  it('one error for several problems: worded after the first in the file, all of them in issues', () => {
    const error = configError(() => parseConfig('resilience:\n  endpoints:\n    b:\n      burst: 0\n    a:\n      burst: -1\n      rate_limit: fast\n  enabled: maybe\n'));
    expect(error.message).toBe('.builderconfig:4:14 resilience.endpoints.b.burst: expected an integer from 1 to 1073741824, got 0');
    expect(error.issues.map((i) => `${i.line}:${i.column} ${i.keyPath}`)).toEqual([
      '4:14 resilience.endpoints.b.burst',
      '6:14 resilience.endpoints.a.burst',
      '7:19 resilience.endpoints.a.rate_limit',
      '8:12 resilience.enabled',
    ]);
  });

  const badValues: [string, string, string][] = [
    ['enabled: "yes"', 'resilience.enabled', 'expected a boolean (true or false), got "yes"'],
    ['enabled: yes', 'resilience.enabled', 'expected a boolean (true or false), got "yes"'],
    ['default_policy: strict', 'resilience.default_policy', 'expected one of critical, standard, network, high_throughput, relaxed, got "strict"'],
    [
      'default_policy: high-throughput',
      'resilience.default_policy',
      'expected one of critical, standard, network, high_throughput, relaxed, got "high-throughput"; did you mean "high_throughput"?',
    ],
    ['endpoints: [a, b]', 'resilience.endpoints', 'expected a mapping of endpoint names to their settings, got a list'],
    ['endpoints:\n    a: 5', 'resilience.endpoints.a', 'expected a mapping of endpoint settings, got 5'],
    ['endpoints:\n    a: { rate_limit: 0 }', 'resilience.endpoints.a.rate_limit', 'expected a number of requests per second > 0 and <= 100000000, or .inf, got 0'],
    ['endpoints:\n    a: { rate_limit: "200" }', 'resilience.endpoints.a.rate_limit', 'got "200"'],
    ['endpoints:\n    a: { burst: 2.5 }', 'resilience.endpoints.a.burst', 'expected an integer from 1 to 1073741824, got 2.5'],
    ['endpoints:\n    a: { adaptive: 1 }', 'resilience.endpoints.a.adaptive', 'expected a boolean (true or false), got 1'],
    ['endpoints:\n    a: { failure_classifier: "" }', 'resilience.endpoints.a.failure_classifier', 'got ""'],
    ['endpoints:\n    a: { circuit_breaker: [1] }', 'resilience.endpoints.a.circuit_breaker', 'expected a mapping of circuit breaker settings, got a list'],
    ['endpoints:\n    a: { circuit_breaker: { threshold: 0 } }', 'resilience.endpoints.a.circuit_breaker.threshold', 'expected a number in (0, 1], got 0'],
    ['endpoints:\n    a: { circuit_breaker: { threshold: .nan } }', 'resilience.endpoints.a.circuit_breaker.threshold', 'got .nan'],
    ['endpoints:\n    a: { circuit_breaker: { threshold: } }', 'resilience.endpoints.a.circuit_breaker.threshold', 'got null'],
    ['endpoints:\n    a: { circuit_breaker: { window: 30x } }', 'resilience.endpoints.a.circuit_breaker.window', "expected a duration from 10ms to 24h: milliseconds, or a string such as '500ms', '30s' or '2m', got \"30x\""],
    ['endpoints:\n    a: { circuit_breaker: { window: 5ms } }', 'resilience.endpoints.a.circuit_breaker.window', 'got "5ms"'],
    ['endpoints:\n    a: { circuit_breaker: { timeout: 25h } }', 'resilience.endpoints.a.circuit_breaker.timeout', 'got "25h"'],
    ['endpoints:\n    a: { circuit_breaker: { timeout: -5 } }', 'resilience.endpoints.a.circuit_breaker.timeout', 'got -5'],
    ['endpoints:\n    a: { circuit_breaker: { trial_timeout: true } }', 'resilience.endpoints.a.circuit_breaker.trial_timeout', 'got true'],
    ['endpoints:\n    a: { circuit_breaker: { minimum_requests: 0 } }', 'resilience.endpoints.a.circuit_breaker.minimum_requests', 'got 0'],
    ['endpoints:\n    a: { circuit_breaker: { window_buckets: 17 } }', 'resilience.endpoints.a.circuit_breaker.window_buckets', 'expected an integer from 1 to 16, got 17'],
    ['endpoints:\n    a: { circuit_breaker: { half_open_trials: 128 } }', 'resilience.endpoints.a.circuit_breaker.half_open_trials', 'expected an integer from 1 to 127, got 128'],
    [
      'endpoints:\n    a: { circuit_breaker: { half_open_successes: 5 } }',
      'resilience.endpoints.a.circuit_breaker.half_open_successes',
      'expected an integer from 1 to half_open_trials (3), got 5',
    ],
    ['endpoints:\n    __proto__: { burst: x }', 'resilience.endpoints.__proto__.burst', 'got "x"'],
    ['endpoints:\n    "a.b c": { burst: x }', 'resilience.endpoints["a.b c"].burst', 'got "x"'],
    [`endpoints:\n    ${'n'.repeat(201)}: {}`, `resilience.endpoints.${'n'.repeat(201)}`, 'expected an endpoint name of 1 to 200 UTF-8 bytes'],
    ['endpoints:\n    "": {}', 'resilience.endpoints[""]', 'expected an endpoint name of 1 to 200 UTF-8 bytes, got "" (0 bytes)'],
  ];
  for (const [yaml, keyPath, detail] of badValues) {
    it(`${keyPath}: ${detail}`, () => {
      const error = configError(() => parseConfig(`resilience:\n  ${yaml}\n`));
      expect(error.keyPath).toBe(keyPath);
      expect(error.detail).toContain(detail);
      expect(error.message).toMatch(/^\.builderconfig:\d+:\d+ /);
    });
  }

  it('malformed YAML: the parser error at its line and column', () => {
    expect(messageFor('resilience:\n  endpoints: [a, b\n  enabled: true\n')).toMatch(/^\.builderconfig:3:\d+: invalid YAML: /);
    expect(messageFor('resilience:\n\tenabled: true\n')).toMatch(/^\.builderconfig:2:1: invalid YAML: /);
    expect(messageFor('resilience: {enabled: true\n')).toMatch(/^\.builderconfig:\d+:\d+: invalid YAML: /);
    expect(messageFor('resilience: {}\n---\nother: {}\n')).toMatch(/^\.builderconfig:2:1: invalid YAML: Source contains multiple documents/);
    expect(messageFor('resilience: !include other.yaml\n')).toMatch(/^\.builderconfig:1:13: invalid YAML: Unresolved tag: !include/);
  });

  it('a file that is not a mapping', () => {
    expect(messageFor('- resilience\n- other\n')).toBe('.builderconfig:1:1: expected a mapping at the top of the file (such as "resilience:"), got a list');
    expect(messageFor('just text\n')).toBe('.builderconfig:1:1: expected a mapping at the top of the file (such as "resilience:"), got "just text"');
    expect(messageFor('42\n')).toBe('.builderconfig:1:1: expected a mapping at the top of the file (such as "resilience:"), got 42');
    expect(messageFor('resilience: [1]\n')).toBe('.builderconfig:1:13 resilience: expected a mapping with enabled, default_policy and endpoints, got a list');
    expect(messageFor('resilience: on\n')).toContain('resilience: expected a mapping with enabled, default_policy and endpoints, got "on"');
  });

  it('duplicate keys, at the second occurrence', () => {
    expect(messageFor('resilience:\n  enabled: true\n  enabled: false\n')).toBe(
      '.builderconfig:3:3 resilience.enabled: duplicate key: "enabled" appears twice in the same mapping',
    );
    expect(messageFor('resilience:\n  endpoints:\n    a: {}\n    b: {}\n    a: { burst: 2 }\n')).toBe(
      '.builderconfig:5:5 resilience.endpoints.a: duplicate key: "a" appears twice in the same mapping',
    );
  });

  it('a list, a mapping or an alias as a key (YAML allows them; a name cannot be one)', () => {
    expect(messageFor('resilience:\n  endpoints:\n    [a, b]: { burst: 2 }\n')).toBe('.builderconfig:3:5: expected a plain key (a name), got a list as a key');
    expect(messageFor('resilience:\n  endpoints:\n    ? { a: 1 }\n    : { burst: 2 }\n')).toBe('.builderconfig:3:7: expected a plain key (a name), got a mapping as a key');
    expect(messageFor('x: &k name\nresilience:\n  endpoints:\n    *k : { burst: 2 }\n')).toBe('.builderconfig:4:5: expected a plain key (a name), got an alias as a key');
  });

  it('a file near the size limit with 40,000 keys in one mapping is checked in linear time (duplicates included)', () => {
    const endpoints = Array.from({ length: 40_000 }, (_, i) => `    e${i}: { burst: 5 }\n`).join('');
    const start = performance.now();
    expect(messageFor(`resilience:\n  endpoints:\n${endpoints}    e5: {}\n`)).toBe(
      '.builderconfig:40003:5 resilience.endpoints.e5: duplicate key: "e5" appears twice in the same mapping',
    );
    // yaml's own uniqueKeys check takes about 20 s here (it compares every pair of keys).
    expect(performance.now() - start).toBeLessThan(12_000);
  });

  it('alias bombs are refused quickly, at the first alias', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    lines.push('resilience:\n  enabled: true');
    const start = performance.now();
    const error = configError(() => parseConfig(`${lines.join('\n')}\n`));
    expect(performance.now() - start).toBeLessThan(2000);
    expect(error.message).toBe('.builderconfig:2:10: too many alias expansions (more than 100): refusing what looks like an alias bomb');
  });

  it(`files over ${MAX_CONFIG_BYTES} bytes are refused before they are parsed`, () => {
    // Not YAML at all: the size is what is reported, so nothing was parsed.
    const dir = tree({ '.builderconfig': Buffer.alloc(MAX_CONFIG_BYTES + 1, '[') });
    expect(configError(() => loadConfig({ cwd: dir })).message).toBe(`.builderconfig: the file is ${MAX_CONFIG_BYTES + 1} bytes; the limit is 1048576 bytes (1 MiB)`);
    writeFileSync(join(dir, '.builderconfig'), `# ${'x'.repeat(MAX_CONFIG_BYTES - 3)}\n`);
    expect(loadConfig({ cwd: dir }).endpoints.size).toBe(0); // exactly at the limit: read
    writeFileSync(join(dir, 'small'), 'resilience:\n  enabled: true\n');
    expect(configError(() => loadConfig({ file: join(dir, 'small'), maxBytes: 10 })).detail).toBe('the file is 28 bytes; the limit is 10 bytes');
    expect(configError(() => parseConfig('#'.repeat(MAX_CONFIG_BYTES + 1))).detail).toContain('the limit is 1048576 bytes');
  });

  it('a named file that is missing, a directory, or not UTF-8', () => {
    const dir = tree({ 'latin1.yaml': Buffer.from([0x72, 0x3a, 0x20, 0xe9, 0x0a]) });
    expect(configError(() => loadConfig({ file: 'nope.yaml', cwd: dir })).message).toBe('nope.yaml: cannot read the configuration file: no such file');
    expect(configError(() => loadConfig({ file: dir })).message).toBe(`${dir}: cannot read the configuration file: it is not a regular file`);
    expect(configError(() => loadConfig({ file: join(dir, 'latin1.yaml') })).detail).toBe('the file is not valid UTF-8 text');
  });

  it('deeply nested input is refused before it is composed (it used to crash the process), shallow nesting is fine', () => {
    // 50,000 levels of flow lists killed node with a fatal out-of-memory error inside the composer.
    expect(messageFor(`x: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`)).toBe('.builderconfig:1:67: mappings and lists are nested more than 64 levels deep');
    expect(messageFor(`${'- '.repeat(100_000)}x\n`)).toBe('.builderconfig:1:129: mappings and lists are nested more than 64 levels deep');
    expect(messageFor(`other:\n  deep: ${'{k: '.repeat(70)}1${'}'.repeat(70)}\n`)).toMatch(/^\.builderconfig:2:\d+: mappings and lists are nested more than 64 levels deep$/);
    expect(parseConfig(`other: ${'['.repeat(60)}${']'.repeat(60)}\n`).endpoints.size).toBe(0);
  });

  it('ConfigError.format leaves out the parts it does not have', () => {
    expect(new ConfigError('boom').message).toBe('boom');
    expect(new ConfigError('boom', { file: 'f' }).message).toBe('f: boom');
    expect(new ConfigError('boom', { file: 'f', line: 2, column: 3 }).message).toBe('f:2:3: boom');
    expect(new ConfigError('boom', { line: 2, keyPath: 'a.b' }).message).toBe('line 2 a.b: boom');
  });
});
