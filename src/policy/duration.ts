/** A duration: milliseconds as a number, or a string such as '500ms', '25s', '1m', '2h', '1.5s'. */
export type Duration = number | string;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/;

/**
 * Parses a {@link Duration} into whole milliseconds. `option` names the setting in the error.
 * @throws TypeError for a value that is neither a number nor a string;
 *         RangeError for an unparsable string, a negative, NaN or infinite value.
 */
export function parseDuration(value: unknown, option: string): number {
  let ms: number;
  if (typeof value === 'number') {
    ms = value;
  } else if (typeof value === 'string') {
    const match = PATTERN.exec(value);
    if (match === null) {
      throw new RangeError(`${option}: cannot parse duration ${JSON.stringify(value)} (use a number of ms or e.g. '500ms', '25s', '1m', '2h')`);
    }
    ms = Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  } else {
    throw new TypeError(`${option}: expected a duration (ms number or string such as '25s'), got ${typeof value}`);
  }
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`${option}: expected a finite duration >= 0 ms, got ${String(value)}`);
  return Math.round(ms);
}
