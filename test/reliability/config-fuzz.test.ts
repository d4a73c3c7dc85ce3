/**
 * Hostile configuration files: random text, YAML token soup, random documents of the right
 * shape with values of every type, mutations of valid files, deep nesting, alias bombs, huge
 * scalars and keys, files over the size limit, and bytes that are not UTF-8. `parseConfig` /
 * `loadConfig` must either return a configuration every part of which is valid (a service can be
 * built from it) or throw a ConfigError — never another error, never hang (each input is timed).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  ConfigError,
  isConfigError,
  type LoadedConfig,
  loadConfig,
  MAX_CONFIG_BYTES,
  ManualClock,
  parseConfig,
  ResilienceService,
  validatePolicy,
} from '../../src/index.js';
import { reportFigures, scaled, STRESS, tally } from './support.js';

afterAll(reportFigures);

/**
 * Longest any one input may take, ms: a hang detector. (Work is linear in the input, bounded by the
 * 1 MiB limit, but a megabyte of one flow list takes 5-8 s on this machine; see the figures.)
 */
const SLOWEST_ALLOWED_MS = 20_000;

const stats = { inputs: 0, valid: 0, configErrors: 0, slowestMs: 0, warnings: 0 };

/** The outcome of checking `run`: a valid configuration, or a well-formed ConfigError. Anything else fails. */
function expectValidOrConfigError(run: () => LoadedConfig, text: string | Buffer, what: string): void {
  stats.inputs++;
  const original = process.emitWarning;
  process.emitWarning = (() => {
    stats.warnings++;
  }) as typeof process.emitWarning;
  const started = performance.now();
  let config: LoadedConfig | undefined;
  let thrown: unknown;
  try {
    config = run();
  } catch (error) {
    thrown = error;
  } finally {
    process.emitWarning = original;
  }
  const ms = performance.now() - started;
  stats.slowestMs = Math.max(stats.slowestMs, ms);
  const shown = (typeof text === 'string' ? JSON.stringify(text) : `<${text.length} bytes ${text.subarray(0, 40).toString('hex')}>`).slice(0, 400);
  expect(ms, `${what} took ${ms.toFixed(0)} ms: ${shown}`).toBeLessThan(SLOWEST_ALLOWED_MS);
  if (thrown !== undefined) {
    expect(isConfigError(thrown) && thrown instanceof ConfigError, `${what} threw ${thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown)} for ${shown}`).toBe(true);
    const e = thrown as ConfigError;
    expect(e.message.length).toBeGreaterThan(0);
    expect(e.issues.length).toBeGreaterThan(0);
    if (typeof text === 'string' && e.line !== undefined) {
      expect(e.line, `${what}: line of ${shown}`).toBeGreaterThanOrEqual(1);
      expect(e.line, `${what}: line of ${shown}`).toBeLessThanOrEqual(text.split(/\r\n|\r|\n/).length + 1);
    }
    stats.configErrors++;
    return;
  }
  const c = config as LoadedConfig;
  expect(typeof c.enabled).toBe('boolean');
  expect(validatePolicy(c.defaultPolicy)).toEqual(c.defaultPolicy);
  for (const [name, policy] of c.endpoints) {
    expect(typeof name === 'string' && name.length > 0 && Buffer.byteLength(name) <= 200 && name.isWellFormed(), `endpoint name ${JSON.stringify(name)}`).toBe(true);
    expect(validatePolicy(policy), `policy of ${name}`).toEqual(policy);
  }
  if (c.endpoints.size <= 64) {
    const service = ResilienceService.fromConfig(c, { env: false, clock: new ManualClock(0), capacity: Math.max(1, c.endpoints.size) });
    expect(service.endpointNames().sort()).toEqual([...c.endpoints.keys()].sort());
    service.close();
  }
  stats.valid++;
}

const check = (text: string, what: string): void => expectValidOrConfigError(() => parseConfig(text), text, what);

// ---- generators ----------------------------------------------------------------------------------

const KEYS = [
  'resilience',
  'enabled',
  'default_policy',
  'endpoints',
  'policy',
  'rate_limit',
  'burst',
  'adaptive',
  'failure_classifier',
  'circuit_breaker',
  'threshold',
  'window',
  'timeout',
  'minimum_requests',
  'window_buckets',
  'half_open_trials',
  'half_open_successes',
  'trial_timeout',
];
const SCALARS = [
  'network',
  'critical',
  'standard',
  'high_throughput',
  'highThroughput',
  'relaxed',
  'true',
  'false',
  'yes',
  '~',
  'null',
  '.inf',
  '-.inf',
  '.nan',
  '1e400',
  '-1',
  '0',
  '0.5',
  '1',
  '127',
  '128',
  '2147483648',
  '1e8',
  '100000001',
  '30s',
  '500ms',
  '24h',
  '25h',
  '1.5s',
  '0x1f',
  '0o17',
  '2001-12-14',
  '"quoted"',
  "'single'",
  'cache-server',
  '__proto__',
  'constructor',
  'é',
  '🔥',
];
const PUNCTUATION = ['\n', '\n  ', '\n    ', '\n      ', '  ', '- ', ': ', ':', ',', '[', ']', '{', '}', '"', "'", '&a ', '*a', '&b ', '*b', '!!str ', '!!int ', '!!float ', '!!map ', '!!seq ', '!!binary ', '!custom ', '|', '>', '#', '? ', '---\n', '...\n', '%YAML 1.1\n', '%TAG ! tag:x,2000:\n', '<<: ', '\t', '\r\n', '\r', '\u0000', '\ufeff', '\u202e', '\\'];

const tokenSoup = fc.array(fc.oneof(fc.constantFrom(...KEYS.map((k) => `${k}:`)), fc.constantFrom(...SCALARS), fc.constantFrom(...PUNCTUATION)), { maxLength: 120 }).map((t) => t.join(''));

const anyScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...SCALARS),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 20 }),
  fc.constantFrom(Number.POSITIVE_INFINITY, Number.NaN, 1e300, -0, 2 ** 53, 0.1, 1e-7),
);

const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined, freq: 2 });

/** A document of roughly the right shape, values of every type (mostly plausible ones). */
const shapedDoc: fc.Arbitrary<unknown> = fc
  .record({
    enabled: maybe(fc.oneof(fc.boolean(), anyScalar)),
    default_policy: maybe(fc.oneof(fc.constantFrom('critical', 'standard', 'network', 'high_throughput', 'relaxed'), anyScalar)),
    endpoints: maybe(
      fc.oneof(
        { weight: 8, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom('cache', 'coordinator', '__proto__', 'x'.repeat(201), 'é'), fc.string({ minLength: 0, maxLength: 12 })), endpointDoc(), { maxKeys: 6 }) },
        { weight: 1, arbitrary: anyScalar },
        { weight: 1, arbitrary: fc.array(anyScalar, { maxLength: 3 }) },
      ),
    ),
    extra: maybe(anyScalar),
  })
  .map((resilience) => ({ resilience, other_tool: { untouched: true } }));

function endpointDoc(): fc.Arbitrary<unknown> {
  const positive = fc.oneof(fc.integer({ min: 1, max: 1000 }), anyScalar);
  const duration = fc.oneof(fc.constantFrom('500ms', '30s', '2m', '24h', '25h', '0ms', '9ms', 10, 86_400_000, 86_400_001), anyScalar);
  return fc.oneof(
    {
      weight: 10,
      arbitrary: fc.record({
        policy: maybe(fc.oneof(fc.constantFrom('critical', 'standard', 'network', 'high_throughput', 'relaxed'), anyScalar)),
        rate_limit: maybe(fc.oneof(fc.double({ min: 0, max: 2e8, noNaN: true }), anyScalar)),
        burst: maybe(positive),
        adaptive: maybe(fc.oneof(fc.boolean(), anyScalar)),
        failure_classifier: maybe(fc.oneof(fc.constantFrom('all', 'network', 'custom-name', ''), anyScalar)),
        circuit_breaker: maybe(
          fc.oneof(
            fc.record({
              threshold: maybe(fc.oneof(fc.double({ min: 0, max: 1.2, noNaN: true }), anyScalar)),
              window: maybe(duration),
              timeout: maybe(duration),
              minimum_requests: maybe(positive),
              window_buckets: maybe(fc.oneof(fc.integer({ min: 0, max: 17 }), anyScalar)),
              half_open_trials: maybe(fc.oneof(fc.integer({ min: 0, max: 128 }), anyScalar)),
              half_open_successes: maybe(fc.oneof(fc.integer({ min: 0, max: 128 }), anyScalar)),
              trial_timeout: maybe(duration),
            }),
            anyScalar,
          ),
        ),
      }),
    },
    { weight: 1, arbitrary: anyScalar },
  );
}

const VALID = [
  `# .builderconfig
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
`,
  `resilience:
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
    "quoted name": {rate_limit: .inf, burst: 1}
`,
];

/** A valid file with 1 to 8 random edits. */
const mutated: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...VALID),
    fc.array(
      fc.record({ kind: fc.integer({ min: 0, max: 5 }), at: fc.nat(), to: fc.nat(), text: fc.oneof(fc.constantFrom(...PUNCTUATION), fc.constantFrom(...SCALARS), fc.string({ maxLength: 4 })) }),
      { minLength: 1, maxLength: 8 },
    ),
  )
  .map(([base, edits]) => {
    let s = base;
    for (const e of edits) {
      const at = e.at % (s.length + 1);
      const lines = s.split('\n');
      switch (e.kind) {
        case 0: // delete a few characters
          s = s.slice(0, at) + s.slice(at + 1 + (e.to % 6));
          break;
        case 1: // insert
          s = s.slice(0, at) + e.text + s.slice(at);
          break;
        case 2: // replace a character
          s = s.slice(0, at) + e.text + s.slice(at + 1);
          break;
        case 3: // duplicate a line
          lines.splice(e.at % lines.length, 0, lines[e.at % lines.length] as string);
          s = lines.join('\n');
          break;
        case 4: // swap two lines
          {
            const i = e.at % lines.length;
            const j = e.to % lines.length;
            [lines[i], lines[j]] = [lines[j] as string, lines[i] as string];
            s = lines.join('\n');
          }
          break;
        default: // re-indent a line
          lines[e.at % lines.length] = ' '.repeat(e.to % 9) + (lines[e.at % lines.length] ?? '').trimStart();
          s = lines.join('\n');
      }
    }
    return s;
  });

// ---- tests -------------------------------------------------------------------------------------

describe('config loader fuzz: valid configuration or ConfigError, nothing else', () => {
  const RUNS = scaled(400, 8_000);

  it(`${RUNS} random texts and ${RUNS} YAML token soups`, () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 200 })), (text) => check(text, 'random text')),
      { numRuns: RUNS },
    );
    fc.assert(fc.property(tokenSoup, (text) => check(text, 'token soup')), { numRuns: RUNS });
  }, 120_000);

  it(`${RUNS} documents of the right shape with values of every type`, () => {
    fc.assert(
      fc.property(shapedDoc, fc.boolean(), (doc, flow) => check(stringify(doc, flow ? { collectionStyle: 'flow' } : {}), 'shaped document')),
      { numRuns: RUNS },
    );
  }, 120_000);

  it(`${RUNS} mutations of valid files`, () => {
    for (const text of VALID) {
      const c = parseConfig(text);
      expect(c.endpoints.size).toBeGreaterThan(0);
    }
    fc.assert(fc.property(mutated, (text) => check(text, 'mutated file')), { numRuns: RUNS });
  }, 120_000);

  it('deep nesting, alias bombs, recursive aliases, huge scalars and keys, the size limit', () => {
    const cases: [string, string][] = [];
    // Megabyte-sized inputs take seconds each: npm run stress only.
    const BIG = STRESS;
    for (const n of BIG ? [65, 100, 1_000, 100_000, 500_000] : [65, 1_000, 20_000]) {
      cases.push([`${n} nested flow lists`, `resilience: ${'['.repeat(n)}${']'.repeat(n)}`]);
      cases.push([`${n} unclosed flow lists`, '['.repeat(n)]);
      cases.push([`${n} nested flow maps`, `${'{a: '.repeat(Math.min(n, 200_000))}1${'}'.repeat(Math.min(n, 200_000))}`]);
      cases.push([`${n} nested block lists`, `${'- '.repeat(Math.min(n, 300_000))}x`]);
    }
    for (const n of [65, 300, 1_400]) {
      cases.push([`${n} nested block maps`, Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1']);
      cases.push([`${n} nested maps under an endpoint`, `resilience:\n  endpoints:\n    cache:\n${Array.from({ length: n }, (_, i) => `${' '.repeat(6 + i)}k${i}:`).join('\n')} 1`]);
    }
    for (const [levels, fanout] of [
      [3, 10],
      [6, 6],
      [9, 9],
      [12, 4],
    ] as const) {
      const lines = ['a0: &a0 [x]'];
      for (let l = 1; l <= levels; l++) lines.push(`a${l}: &a${l} [${Array.from({ length: fanout }, () => `*a${l - 1}`).join(', ')}]`);
      lines.push(`resilience:\n  endpoints:\n    cache:\n      failure_classifier: *a${levels}`);
      cases.push([`alias bomb ${levels} x ${fanout}`, lines.join('\n')]);
    }
    cases.push(['recursive alias', 'a: &a [*a]\nresilience: *a']);
    cases.push(['alias before its anchor', 'resilience: *a\nb: &a 1']);
    cases.push(['endpoints by alias', 'x: &e\n  rate_limit: 5\nresilience:\n  endpoints:\n    a: *e\n    b: *e\n']);
    cases.push(['merge key', 'base: &b\n  rate_limit: 5\nresilience:\n  endpoints:\n    a:\n      <<: *b\n']);
    cases.push(['100,000-digit rate', `resilience:\n  endpoints:\n    a:\n      rate_limit: ${'9'.repeat(100_000)}\n`]);
    cases.push(['100,000-digit burst', `resilience:\n  endpoints:\n    a:\n      burst: ${'9'.repeat(100_000)}\n`]);
    cases.push(['900 KB string value', `resilience:\n  endpoints:\n    a:\n      failure_classifier: ${'x'.repeat(900_000)}\n`]);
    cases.push(['900 KB endpoint name', `resilience:\n  endpoints:\n    ${'x'.repeat(900_000)}:\n      burst: 1\n`]);
    const items = BIG ? 450_000 : 20_000;
    cases.push([`${items} items on one line of flow list`, `resilience: [${'1,'.repeat(items)}1]`]);
    const many = BIG ? 30_000 : 3_000;
    cases.push([`${many} endpoints`, `resilience:\n  endpoints:\n${Array.from({ length: many }, (_, i) => `    e${i}: {burst: ${1 + (i % 9)}}`).join('\n')}\n`]);
    cases.push([`${many} duplicate keys`, `resilience:\n  endpoints:\n${Array.from({ length: many }, () => '    e: {burst: 1}').join('\n')}\n`]);
    cases.push(['exactly the size limit of comments', `#${'c'.repeat(MAX_CONFIG_BYTES - 1)}`]);
    cases.push(['one byte over the size limit', `#${'c'.repeat(MAX_CONFIG_BYTES)}`]);
    cases.push(['complex key', 'resilience:\n  endpoints:\n    ? [a, b]\n    : {rate_limit: 5}\n']);
    cases.push(['many documents', `${'---\nresilience: {}\n'.repeat(1_000)}`]);
    cases.push(['YAML 1.1 directive', '%YAML 1.1\n---\nresilience:\n  enabled: yes\n']);
    for (const [label, text] of cases) check(text, label);
    tally('config: structural edge cases', cases.length);
  }, 120_000);

  it('huge numbers do not turn into "unlimited": rate_limit 1e400 or a 400-digit integer is out of range, not .inf', () => {
    for (const value of ['1e400', '9'.repeat(400), '-1e400']) {
      let thrown: unknown;
      try {
        parseConfig(`resilience:\n  endpoints:\n    a:\n      rate_limit: ${value}\n`);
      } catch (error) {
        thrown = error;
      }
      // Expected: "expected a number of requests per second > 0 and <= 100000000, or .inf" — as for 2e8.
      expect(isConfigError(thrown), `rate_limit: ${value.slice(0, 20)} was accepted`).toBe(true);
    }
  });

  const FILES = scaled(150, 2_000);

  it(`${FILES} files of bytes that are not (all) UTF-8, through loadConfig`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'resilience-fuzz-'));
    try {
      const file = join(dir, '.builderconfig');
      const bytes = fc.oneof(
        fc.uint8Array({ maxLength: 2_000 }),
        fc.tuple(fc.constantFrom(...VALID), fc.nat(), fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x00], [0xfe, 0xff], [0xef, 0xbb, 0xbf])).map(([text, at, bad]) => {
          const b = Buffer.from(text, 'utf8');
          const i = at % (b.length + 1);
          return Buffer.concat([b.subarray(0, i), Buffer.from(bad), b.subarray(i)]);
        }),
        fc.constantFrom(...VALID).map((text) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])),
        fc.constantFrom(...VALID).map((text) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')])),
      );
      fc.assert(
        fc.property(bytes, (content) => {
          const buffer = Buffer.from(content);
          writeFileSync(file, buffer);
          expectValidOrConfigError(() => loadConfig({ file }), buffer, 'file bytes');
        }),
        { numRuns: FILES },
      );
      // Not a file at all, missing, and over the limit on disk.
      expectValidOrConfigError(() => loadConfig({ file: dir }), Buffer.alloc(0), 'a directory');
      expectValidOrConfigError(() => loadConfig({ file: join(dir, 'missing') }), Buffer.alloc(0), 'a missing file');
      writeFileSync(file, Buffer.alloc(MAX_CONFIG_BYTES + 1, 0x23));
      expectValidOrConfigError(() => loadConfig({ file }), Buffer.alloc(1), 'a file over the limit');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  afterAll(() => {
    tally('config: inputs tried', stats.inputs);
    tally('config: valid configurations (each built into a service when small)', stats.valid);
    tally('config: ConfigErrors', stats.configErrors);
    tally('config: process warnings emitted by the loader', stats.warnings);
    tally('config: slowest input, ms', stats.slowestMs);
    if (STRESS) tally('config: stress scale', 1);
  });
});
