import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/policy/duration.js';

describe('parseDuration', () => {
  it('takes numbers as milliseconds, rounded to whole milliseconds', () => {
    expect(parseDuration(0, 'timeout')).toBe(0);
    expect(parseDuration(250, 'timeout')).toBe(250);
    expect(parseDuration(1.6, 'timeout')).toBe(2);
    expect(parseDuration(86_400_000, 'timeout')).toBe(86_400_000);
  });

  it.each([
    ['500ms', 500],
    ['25s', 25_000],
    ['1m', 60_000],
    ['2h', 7_200_000],
    ['1.5s', 1_500],
    ['0.25m', 15_000],
    ['0s', 0],
    [' 10 ms ', 10],
    ['10 s', 10_000],
    ['0.0004s', 0],
  ])('parses %j as %i ms', (text, ms) => {
    expect(parseDuration(text, 'timeout')).toBe(ms);
  });

  it.each(['', '5', 'ms', '5 sec', '5d', '-5s', '+5s', '1e3ms', '1.s', '.5s', '5S', '5 m s', 'Infinity ms', 'NaNs'])(
    'refuses the string %j with a RangeError naming the option and the value',
    (text) => {
      expect(() => parseDuration(text, 'openTimeout')).toThrow(RangeError);
      expect(() => parseDuration(text, 'openTimeout')).toThrow('openTimeout');
      expect(() => parseDuration(text, 'openTimeout')).toThrow(JSON.stringify(text));
    },
  );

  it.each([-1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    'refuses the number %d with a RangeError naming the option and the value',
    (value) => {
      expect(() => parseDuration(value, 'trialTimeout')).toThrow(RangeError);
      expect(() => parseDuration(value, 'trialTimeout')).toThrow(/trialTimeout/);
      expect(() => parseDuration(value, 'trialTimeout')).toThrow(String(value));
    },
  );

  it.each([null, undefined, true, {}, ['25s'], 10n])('refuses %s (neither number nor string) with a TypeError naming the option', (value) => {
    expect(() => parseDuration(value, 'windowMs')).toThrow(TypeError);
    expect(() => parseDuration(value, 'windowMs')).toThrow(/windowMs/);
  });
});
