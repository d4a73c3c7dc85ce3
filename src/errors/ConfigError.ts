import { isResilienceError, ResilienceError } from './ResilienceError.js';

/** One problem found in a configuration file. */
export interface ConfigIssue {
  /** 1-based line of the offending node, when the problem has a place in the file. */
  readonly line: number | undefined;
  /** 1-based column of the offending node. */
  readonly column: number | undefined;
  /** Dotted key path of the offending setting, e.g. `resilience.endpoints.cache.burst`. */
  readonly keyPath: string | undefined;
  /** What is wrong: `expected a number in (0, 1], got 1.5`. */
  readonly detail: string;
}

/** Where a configuration problem is, and the other problems found with it. */
export interface ConfigErrorDetails {
  /** The file as the user named it (or as found, relative to the working directory). */
  readonly file?: string | undefined;
  readonly line?: number | undefined;
  readonly column?: number | undefined;
  readonly keyPath?: string | undefined;
  /** Every problem found, first (in file order) first; the message describes the first. */
  readonly issues?: readonly ConfigIssue[];
  readonly cause?: unknown;
}

/**
 * A configuration file that cannot be used: unreadable, too large, not YAML, not the expected
 * shape, or a value out of range. Its message reads
 * `FILE:LINE:COLUMN KEY.PATH: expected …, got …` (the parts that apply), and nothing of the file
 * was applied.
 */
export class ConfigError extends ResilienceError {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly keyPath: string | undefined;
  /** What is wrong, without the location. */
  readonly detail: string;
  readonly issues: readonly ConfigIssue[];

  constructor(detail: string, details: ConfigErrorDetails = {}) {
    super('CONFIG', ConfigError.format(detail, details), undefined, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ConfigError';
    this.file = details.file;
    this.line = details.line;
    this.column = details.column;
    this.keyPath = details.keyPath;
    this.detail = detail;
    this.issues = details.issues ?? [{ line: details.line, column: details.column, keyPath: details.keyPath, detail }];
  }

  /** `file:line:column key.path: detail`, leaving out the parts that are unknown. */
  static format(detail: string, where: Pick<ConfigErrorDetails, 'file' | 'line' | 'column' | 'keyPath'>): string {
    let place = where.file ?? '';
    if (where.line !== undefined) place += `${place === '' ? 'line ' : ':'}${where.line}${where.column === undefined ? '' : `:${where.column}`}`;
    if (where.keyPath !== undefined) place += `${place === '' ? '' : ' '}${where.keyPath}`;
    return place === '' ? detail : `${place}: ${detail}`;
  }
}

export function isConfigError(value: unknown): value is ConfigError {
  return isResilienceError(value) && value.code === 'CONFIG';
}
