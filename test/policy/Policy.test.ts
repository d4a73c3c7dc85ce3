import { describe, expect, it } from 'vitest';
import { type Policy, PolicyPresets, validatePolicy } from '../../src/index.js';
import { MAX_RATE } from '../../src/policy/Policy.js';

const valid: Policy = {
  failureThreshold: 0.5,
  minimumRequests: 10,
  windowMs: 30_000,
  windowBuckets: 10,
  openTimeoutMs: 30_000,
  halfOpenTrials: 3,
  halfOpenSuccesses: 2,
  trialTimeoutMs: 30_000,
  rate: 100,
  burst: 200,
  adaptive: true,
  classifier: 'all',
};

/** `valid` with one option replaced by anything (the caller means to pass a bad value). */
function withOption(option: keyof Policy, value: unknown): Policy {
  return { ...valid, [option]: value } as unknown as Policy;
}

/** How the message shows a primitive value. */
function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function thrown(policy: Policy): unknown {
  try {
    validatePolicy(policy);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('validatePolicy accepts', () => {
  it('every preset and a full hand-written policy, returning an equal frozen copy', () => {
    for (const make of Object.values(PolicyPresets)) {
      const p = make();
      expect(validatePolicy(p)).toEqual(p);
    }
    const copy = validatePolicy(valid);
    expect(copy).toEqual(valid);
    expect(copy).not.toBe(valid);
    expect(Object.isFrozen(copy)).toBe(true);
  });

  it.each<[keyof Policy, unknown]>([
    ['failureThreshold', 1],
    ['failureThreshold', 1e-6],
    ['minimumRequests', 1],
    ['minimumRequests', 2 ** 30],
    ['windowMs', 10],
    ['windowMs', 86_400_000],
    ['windowBuckets', 1],
    ['windowBuckets', 16],
    ['openTimeoutMs', 1],
    ['openTimeoutMs', 86_400_000],
    ['halfOpenTrials', 127],
    ['halfOpenSuccesses', 3],
    ['trialTimeoutMs', 86_400_000],
    ['rate', MAX_RATE],
    ['rate', 1e6],
    ['rate', 0.001],
    ['rate', Number.POSITIVE_INFINITY],
    ['burst', 1],
    ['burst', 2 ** 30],
    ['adaptive', false],
    ['classifier', 'network'],
  ])('the limit value %s = %s', (option, value) => {
    expect(validatePolicy(withOption(option, value))[option]).toBe(value);
  });
});

/** Out-of-range values of the right type: RangeError. */
const OUT_OF_RANGE: ReadonlyArray<[keyof Policy, unknown]> = [
  ['failureThreshold', 0],
  ['failureThreshold', -0.1],
  ['failureThreshold', 1.0001],
  ['failureThreshold', Number.NaN],
  ['failureThreshold', Number.POSITIVE_INFINITY],
  ['minimumRequests', 0],
  ['minimumRequests', 2.5],
  ['minimumRequests', 2 ** 30 + 1],
  ['minimumRequests', Number.NaN],
  ['windowMs', 9],
  ['windowMs', 86_400_001],
  ['windowMs', 100.5],
  ['windowBuckets', 0],
  ['windowBuckets', 17],
  ['openTimeoutMs', 0],
  ['openTimeoutMs', -5],
  ['openTimeoutMs', 86_400_001],
  ['openTimeoutMs', Number.POSITIVE_INFINITY],
  ['halfOpenTrials', 0],
  ['halfOpenTrials', 128],
  ['halfOpenSuccesses', 0],
  ['halfOpenSuccesses', 4],
  ['trialTimeoutMs', 0],
  ['trialTimeoutMs', 1.5],
  ['rate', 0],
  ['rate', -1],
  ['rate', Number.NaN],
  ['rate', MAX_RATE * 2],
  ['rate', Number.NEGATIVE_INFINITY],
  ['burst', 0],
  ['burst', 2 ** 30 + 1],
  ['burst', 1.5],
  ['classifier', ''],
];

describe('validatePolicy refuses out-of-range values', () => {
  it.each(OUT_OF_RANGE)('%s = %s with a RangeError naming the option and the value', (option, value) => {
    const error = thrown(withOption(option, value));
    expect(error).toBeInstanceOf(RangeError);
    const message = (error as RangeError).message;
    expect(message).toContain(option);
    expect(message).toContain(`got ${shown(value)}`);
  });

  it('names halfOpenSuccesses when it exceeds halfOpenTrials', () => {
    const error = thrown({ ...valid, halfOpenTrials: 2, halfOpenSuccesses: 3 });
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toMatch(/^halfOpenSuccesses: .*got 3$/);
  });
});

/** Values of the wrong type that are not primitives of another kind: TypeError naming the option and what was received. */
const MISSING_OR_OBJECT: ReadonlyArray<[keyof Policy, unknown, string]> = [
  ['failureThreshold', undefined, 'undefined'],
  ['minimumRequests', null, 'null'],
  ['windowMs', {}, 'object'],
  ['windowBuckets', [4], 'object'],
  ['openTimeoutMs', undefined, 'undefined'],
  ['halfOpenTrials', null, 'null'],
  ['halfOpenSuccesses', undefined, 'undefined'],
  ['trialTimeoutMs', 5n, 'bigint'],
  ['rate', null, 'null'],
  ['burst', undefined, 'undefined'],
  ['adaptive', undefined, 'undefined'],
  ['classifier', null, 'null'],
];

/** Primitives of the wrong type (a string for a number, a number for a boolean, ...). */
const WRONG_PRIMITIVE: ReadonlyArray<[keyof Policy, unknown]> = [
  ['failureThreshold', '0.5'],
  ['minimumRequests', true],
  ['windowMs', '30s'],
  ['rate', '100'],
  ['burst', '200'],
  ['adaptive', 1],
  ['adaptive', 'yes'],
  ['classifier', 5],
];

describe('validatePolicy refuses values of the wrong type', () => {
  it.each(MISSING_OR_OBJECT)('%s = %s with a TypeError naming the option and the value received', (option, value, name) => {
    const error = thrown(withOption(option, value));
    expect(error).toBeInstanceOf(TypeError);
    const message = (error as TypeError).message;
    expect(message).toContain(option);
    expect(message).toContain(`got ${name}`);
  });

  // Documented contract of validatePolicy: "TypeError naming the option for a value of the wrong
  // type; RangeError for one out of range". A string where a number belongs is of the wrong type.
  it('a primitive of the wrong type (a string for a number, a number for a boolean...) with a TypeError naming the option and the value', () => {
    const wrong: string[] = [];
    for (const [option, value] of WRONG_PRIMITIVE) {
      const error = thrown(withOption(option, value));
      const message = error instanceof Error ? error.message : '';
      if (!(error instanceof TypeError) || !message.includes(option) || !message.includes(shown(value))) {
        wrong.push(`${option} = ${shown(value)} -> ${error instanceof Error ? `${error.name}: ${message}` : 'accepted'}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it.each([null, undefined, 42, 'standard'])('a policy that is %s, with a TypeError', (value) => {
    expect(() => validatePolicy(value as unknown as Policy)).toThrow(TypeError);
    expect(() => validatePolicy(value as unknown as Policy)).toThrow(/policy/);
  });
});
