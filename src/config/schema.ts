/**
 * The shape of the `resilience` section of a `.builderconfig` file, as zod schemas. Every check
 * carries the text of what was expected ("a number in (0, 1]"), which loadConfig turns into
 * `expected …, got …` at the offending line and column. Durations come out as whole milliseconds.
 */
import * as z from 'zod';
import { parseDuration } from '../policy/duration.js';
import type { PresetName } from '../policy/PolicyPresets.js';

const DAY_MS = 86_400_000;
const MAX_RATE = 1e8;
const MAX_BURST = 2 ** 30;

/** Preset names as the file spells them (the specification's snake_case). */
export const CONFIG_PRESET_NAMES = ['critical', 'standard', 'network', 'high_throughput', 'relaxed'] as const;

/** Every accepted spelling of a preset (`highThroughput`, the API's spelling, is accepted too). */
const PRESETS: ReadonlyMap<string, PresetName> = new Map<string, PresetName>([
  ['critical', 'critical'],
  ['standard', 'standard'],
  ['network', 'network'],
  ['high_throughput', 'highThroughput'],
  ['highThroughput', 'highThroughput'],
  ['relaxed', 'relaxed'],
]);

/** Spellings that are accepted but not listed, for "did you mean". */
export const PRESET_SPELLINGS: readonly string[] = [...PRESETS.keys()];

const expected = (text: string) => ({ error: text });

function number(text: string, lo: number, hi: number, { integer = false, above = false } = {}) {
  let schema = z.number(expected(text));
  if (integer) schema = schema.int(expected(text));
  schema = above ? schema.gt(lo, expected(text)) : schema.gte(lo, expected(text));
  return schema.lte(hi, expected(text));
}

function duration(lo: number) {
  const full = `a duration from ${lo}ms to 24h: milliseconds, or a string such as ${lo < 1000 ? "'500ms', " : ''}'30s' or '2m'`;
  return z.union([z.number(), z.string()], expected(full)).transform((value, ctx) => {
    let ms: number;
    try {
      ms = parseDuration(value, 'duration');
    } catch {
      ctx.addIssue({ code: 'custom', message: full, input: value });
      return z.NEVER;
    }
    if (ms < lo || ms > DAY_MS) {
      ctx.addIssue({ code: 'custom', message: full, input: value });
      return z.NEVER;
    }
    return ms;
  });
}

const preset = z
  .string(expected(`one of ${CONFIG_PRESET_NAMES.join(', ')}`))
  .refine((name) => PRESETS.has(name), expected(`one of ${CONFIG_PRESET_NAMES.join(', ')}`))
  .transform((name) => PRESETS.get(name) as PresetName);

const mapping = (what: string) => ({
  error: (issue: { code: string }) => (issue.code === 'invalid_type' ? what : undefined),
});

/** `circuit_breaker:` of an endpoint. */
export const breakerShape = {
  threshold: number('a number in (0, 1]', 0, 1, { above: true }).optional(),
  window: duration(10).optional(),
  timeout: duration(1).optional(),
  minimum_requests: number(`an integer from 1 to ${MAX_BURST}`, 1, MAX_BURST, { integer: true }).optional(),
  window_buckets: number('an integer from 1 to 16', 1, 16, { integer: true }).optional(),
  half_open_trials: number('an integer from 1 to 127', 1, 127, { integer: true }).optional(),
  half_open_successes: number('an integer from 1 to 127', 1, 127, { integer: true }).optional(),
  trial_timeout: duration(1).optional(),
};

/** One endpoint under `endpoints:`. */
export const endpointShape = {
  policy: preset.optional(),
  rate_limit: z
    .union(
      [number(`a number of requests per second > 0 and <= ${MAX_RATE}, or .inf`, 0, MAX_RATE, { above: true }), z.literal(Number.POSITIVE_INFINITY)],
      expected(`a number of requests per second > 0 and <= ${MAX_RATE}, or .inf`),
    )
    .optional(),
  burst: number(`an integer from 1 to ${MAX_BURST}`, 1, MAX_BURST, { integer: true }).optional(),
  adaptive: z.boolean(expected('a boolean (true or false)')).optional(),
  failure_classifier: z
    .string(expected("a classifier name: 'all', 'network' or one given to registerClassifier"))
    .min(1, expected("a classifier name: 'all', 'network' or one given to registerClassifier"))
    .optional(),
  circuit_breaker: z.strictObject(breakerShape, mapping('a mapping of circuit breaker settings')).nullish(),
};

/** The `resilience:` section. `endpoints` is checked entry by entry (see loadConfig). */
export const resilienceShape = {
  enabled: z.boolean(expected('a boolean (true or false)')).optional(),
  default_policy: preset.optional(),
  endpoints: z
    .custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), expected('a mapping of endpoint names to their settings'))
    .nullish(),
};

export const endpointSchema = z.strictObject(endpointShape, mapping('a mapping of endpoint settings')).nullable();
export const resilienceSchema = z.strictObject(resilienceShape, mapping('a mapping with enabled, default_policy and endpoints')).nullish();

export type BreakerSettings = z.output<z.ZodObject<typeof breakerShape>>;
export type EndpointSettings = z.output<typeof endpointSchema>;
export type ResilienceSettings = z.output<typeof resilienceSchema>;

/** Keys each section allows, by the section's kind, for "did you mean". */
export const SECTION_KEYS = {
  resilience: Object.keys(resilienceShape),
  endpoint: Object.keys(endpointShape),
  circuit_breaker: Object.keys(breakerShape),
} as const;
