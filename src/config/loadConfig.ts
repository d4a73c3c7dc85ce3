import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CST, Composer, type Document, isAlias, isMap, isPair, isScalar, LineCounter, type Node, Parser, visit, type YAMLError, YAMLParseError } from 'yaml';
import type * as z from 'zod';
import { ConfigError, type ConfigIssue } from '../errors/ConfigError.js';
import { type Policy, validatePolicy } from '../policy/Policy.js';
import { type PresetName, PolicyPresets } from '../policy/PolicyPresets.js';
import type { ResilienceConfig } from '../service/ResilienceService.js';
import { keyText, locate, positionOf } from './locate.js';
import { MAX_NESTING, tooDeepTokens } from './nesting.js';
import { type EndpointSettings, endpointSchema, PRESET_SPELLINGS, resilienceSchema, SECTION_KEYS } from './schema.js';
import { didYouMean, editDistance } from './suggest.js';

/** The name of the configuration file looked for in the working directory and its ancestors. */
export const CONFIG_FILE_NAME = '.builderconfig';
/** Largest configuration file read: 1 MiB. Larger files are refused before they are parsed. */
export const MAX_CONFIG_BYTES = 1_048_576;
/** Most alias expansions a file may make (the yaml package's `maxAliasCount`); more is refused as an alias bomb. */
export const MAX_ALIAS_COUNT = 100;

/** Problems gathered into one ConfigError at most (checking stops there). */
const MAX_ISSUES = 100;
/** Endpoint names: 1 to this many UTF-8 bytes (the slab's limit). */
const MAX_NAME_BYTES = 200;

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** The file to read; when given, nothing is searched for and a missing file is an error. */
  readonly file?: string | URL;
  /** Where the search for `.builderconfig` starts (then its ancestors, up to the root). @default process.cwd() */
  readonly cwd?: string;
  /** Largest file accepted, bytes. @default MAX_CONFIG_BYTES (1 MiB) */
  readonly maxBytes?: number;
}

/** A checked configuration: what {@link ResilienceService.fromConfig} builds a service from. */
export interface LoadedConfig extends ResilienceConfig {
  /** Absolute path of the file read; undefined when none was found (every setting is then a default). */
  readonly file: string | undefined;
  /** `default_policy`, as a PolicyPresets name. @default 'standard' */
  readonly defaultPreset: PresetName;
  /** Endpoints in file order, each with its complete policy. */
  readonly endpoints: ReadonlyMap<string, Policy>;
}

/**
 * The `.builderconfig` nearest to `cwd`: in `cwd` itself or its nearest ancestor that has one
 * (directories of that name are passed over). Undefined when there is none.
 */
export function findConfigFile(cwd: string = process.cwd()): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here: go up
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Reads and checks the configuration: `options.file` if given (or a path passed directly), else
 * the `.builderconfig` found by {@link findConfigFile}. With no file found, every setting has its
 * default (enabled, the standard default policy, no endpoints).
 * @throws ConfigError for a file that is missing (when named), unreadable, larger than
 *   `maxBytes`, not YAML, not a mapping, or not the expected shape — naming the file, line,
 *   column and key path. Nothing is returned, so nothing is half-applied.
 */
export function loadConfig(options: LoadConfigOptions | string | URL = {}): LoadedConfig {
  const opts: LoadConfigOptions = typeof options === 'string' || options instanceof URL ? { file: options } : options;
  const maxBytes = opts.maxBytes ?? MAX_CONFIG_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes: expected a positive integer, got ${String(maxBytes)}`);
  const cwd = resolve(opts.cwd ?? process.cwd());
  let absolute: string;
  let label: string;
  if (opts.file !== undefined) {
    const given = opts.file instanceof URL ? fileURLToPath(opts.file) : opts.file;
    if (typeof given !== 'string' || given.length === 0) throw new TypeError(`file: expected a path, got ${JSON.stringify(given)}`);
    absolute = isAbsolute(given) ? given : resolve(cwd, given);
    label = given;
  } else {
    const found = findConfigFile(cwd);
    if (found === undefined) return defaults(undefined);
    absolute = found;
    label = relative(cwd, found) || CONFIG_FILE_NAME;
  }
  return check(readConfigFile(absolute, label, maxBytes), label, absolute);
}

/**
 * Checks configuration text as if it were the file `file` (used in messages only).
 * @throws ConfigError as {@link loadConfig}.
 */
export function parseConfig(text: string, file: string = CONFIG_FILE_NAME): LoadedConfig {
  if (typeof text !== 'string') throw new TypeError(`text: expected a string, got ${typeof text}`);
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) {
    throw new ConfigError(`the configuration is ${Buffer.byteLength(text, 'utf8')} bytes; the limit is ${MAX_CONFIG_BYTES} bytes (1 MiB)`, { file });
  }
  return check(text, file, undefined);
}

function readConfigFile(path: string, label: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : String((error as Error).message);
    throw new ConfigError(`cannot read the configuration file: ${why}`, { file: label, cause: error });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new ConfigError('cannot read the configuration file: it is not a regular file', { file: label });
    const tooLarge = (size: string): ConfigError =>
      new ConfigError(`the file is ${size} bytes; the limit is ${maxBytes} bytes${maxBytes === MAX_CONFIG_BYTES ? ' (1 MiB)' : ''}`, { file: label });
    if (stat.size > maxBytes) throw tooLarge(String(stat.size));
    // Read at most one byte more than allowed, so a file that grows meanwhile is caught too.
    const buffer = Buffer.allocUnsafe(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) throw tooLarge(`more than ${maxBytes}`);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, length));
    } catch (error) {
      throw new ConfigError('the file is not valid UTF-8 text', { file: label, cause: error });
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`cannot read the configuration file: ${(error as Error).message}`, { file: label, cause: error });
  } finally {
    closeSync(fd);
  }
}

/** A problem at a key path; `onKey` places it at the key rather than its value. */
interface Problem {
  readonly path: readonly string[];
  readonly detail: string;
  readonly onKey?: boolean;
}

const SIMPLE_KEY = /^[\p{L}\p{N}_-]+$/u;

/** `resilience.endpoints.cache-server.burst`; keys with other characters in brackets: `endpoints["a.b"]`. */
export function formatKeyPath(path: readonly string[]): string {
  let out = '';
  for (const key of path) out += SIMPLE_KEY.test(key) ? `${out === '' ? '' : '.'}${key}` : `[${JSON.stringify(key)}]`;
  return out;
}

/** How a received value reads in a message: `1.5`, `"fast"`, `null`, `a list`, `a mapping`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number') return Number.isNaN(value) ? '.nan' : value === Number.POSITIVE_INFINITY ? '.inf' : value === Number.NEGATIVE_INFINITY ? '-.inf' : String(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return `the date ${value.toISOString()}`;
  return 'a mapping';
}

function unknownKey(key: string, known: readonly string[]): string {
  const guess = didYouMean(key, known);
  return guess === undefined ? `unknown key (expected one of: ${known.join(', ')})` : `unknown key, did you mean "${guess}"?`;
}

/** The problems of a zod result, under `prefix`; `sectionAt` gives the keys the object at a path allows. */
function problemsOf(error: z.ZodError, prefix: readonly string[], sectionAt: (path: readonly string[]) => readonly string[]): Problem[] {
  const out: Problem[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...path, key], detail: unknownKey(key, sectionAt(path)), onKey: true });
      continue;
    }
    const input = 'input' in issue ? issue.input : undefined;
    const last = path[path.length - 1];
    const guess = (last === 'policy' || last === 'default_policy') && typeof input === 'string' ? didYouMean(input, PRESET_SPELLINGS) : undefined;
    out.push({ path, detail: `expected ${issue.message}, got ${describeValue(input)}${guess === undefined ? '' : `; did you mean "${guess}"?`}` });
  }
  return out;
}

const isMapping = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

function defaults(file: string | undefined): LoadedConfig {
  return Object.freeze({ file, enabled: true, defaultPreset: 'standard', defaultPolicy: PolicyPresets.standard(), endpoints: new Map<string, Policy>() });
}

/** The YAML error as a ConfigError at its place. */
function yamlError(error: YAMLError, lines: LineCounter, file: string): ConfigError {
  const { line, col } = lines.linePos(error.pos[0]);
  const first = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  return new ConfigError(`invalid YAML: ${first}`, { file, line, column: col });
}

/** The first key that repeats a key of its mapping (as text: `1` and `"1"` are one key in JavaScript). */
function firstDuplicateKey(doc: Document): Node | undefined {
  let found: Node | undefined;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = keyText(pair.key);
        if (key === undefined) continue;
        if (seen.has(key)) {
          found = pair.key as Node;
          return visit.BREAK;
        }
        seen.add(key);
      }
      return undefined;
    },
  });
  return found;
}

/** Key path of the map key that starts at `offset`, if one does. */
function keyPathAtOffset(doc: Document, offset: number): string[] | undefined {
  let found: string[] | undefined;
  visit(doc, {
    Pair(_, pair, ancestors) {
      const key = pair.key as Node | null;
      if (key?.range?.[0] !== offset) return undefined;
      const path: string[] = [];
      for (const a of ancestors) if (isPair(a)) path.push(keyText(a.key) ?? '?');
      path.push(keyText(key) ?? '?');
      found = path;
      return visit.BREAK;
    },
  });
  return found;
}

function firstAlias(doc: Document): Node | undefined {
  let found: Node | undefined;
  visit(doc, {
    Alias(_, node) {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

/** The document of `tokens` (as yaml's parseDocument makes it), with an error if there are several. */
function composeOne(tokens: readonly CST.Token[], length: number): Document {
  let doc: Document | undefined;
  for (const next of new Composer({ uniqueKeys: false, version: '1.2' }).compose(tokens, true, length)) {
    if (doc === undefined) doc = next;
    else {
      doc.errors.push(new YAMLParseError([next.range[0], next.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents'));
      break;
    }
  }
  return doc as Document;
}

function check(text: string, file: string, absolute: string | undefined): LoadedConfig {
  const lines = new LineCounter();
  let doc: Document;
  let js: unknown;
  try {
    // One parse: its tokens are checked for depth, then composed into the document.
    const tokens = [...new Parser(lines.addNewLine).parse(text)];
    const deep = tooDeepTokens(tokens);
    if (deep !== undefined) {
      const line = text.slice(0, deep).split('\n').length;
      const column = deep - (text.lastIndexOf('\n', deep - 1) + 1) + 1;
      throw new ConfigError(`mappings and lists are nested more than ${MAX_NESTING} levels deep`, { file, line, column });
    }
    // yaml's own uniqueKeys check compares every key with every other (40,000 keys take 20 s):
    // duplicates are found below, in one pass.
    doc = composeOne(tokens, text.length);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`invalid YAML: ${(error as Error).message}`, { file, cause: error });
  }
  const bad = doc.errors[0] ?? doc.warnings[0];
  if (bad !== undefined) throw yamlError(bad, lines, file);
  const duplicate = firstDuplicateKey(doc);
  if (duplicate !== undefined) {
    const at = positionOf(duplicate, lines);
    const path = keyPathAtOffset(doc, duplicate.range?.[0] ?? -1);
    const key = path?.[path.length - 1] ?? keyText(duplicate) ?? '?';
    throw new ConfigError(`duplicate key: ${JSON.stringify(key)} appears twice in the same mapping`, {
      file,
      line: at?.line,
      column: at?.column,
      keyPath: path === undefined ? undefined : formatKeyPath(path),
    });
  }
  // A mapping or a list used as a key would turn into its YAML text ("[ a, b ]") as a name.
  let complexKey: Node | undefined;
  visit(doc, {
    Pair(_, pair) {
      const key = pair.key as Node | null;
      if (key === null || isScalar(key)) return undefined;
      complexKey = key;
      return visit.BREAK;
    },
  });
  if (complexKey !== undefined) {
    const at = positionOf(complexKey, lines);
    throw new ConfigError(`expected a plain key (a name), got ${isAlias(complexKey) ? 'an alias' : isMap(complexKey) ? 'a mapping' : 'a list'} as a key`, {
      file,
      line: at?.line,
      column: at?.column,
    });
  }
  // A number too large for a double reads as Infinity: only an explicit .inf may mean "no limit".
  let overflow: Node | undefined;
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'number' || Number.isFinite(node.value) || Number.isNaN(node.value)) return undefined;
      const source = node.range === undefined || node.range === null ? '' : text.slice(node.range[0], node.range[1]).trim();
      if (/^[-+]?\.(inf|Inf|INF)$/.test(source)) return undefined;
      overflow = node;
      return visit.BREAK;
    },
  });
  if (overflow !== undefined) {
    const at = positionOf(overflow, lines);
    const path = keyPathAtOffset(doc, overflow.range?.[0] ?? -1);
    const source = overflow.range === undefined || overflow.range === null ? '' : text.slice(overflow.range[0], overflow.range[1]).trim();
    throw new ConfigError(`expected a number a double can hold (write .inf for no limit), got ${source.length > 24 ? `${source.slice(0, 24)}…` : source}`, {
      file,
      line: at?.line,
      column: at?.column,
      keyPath: path === undefined ? undefined : formatKeyPath(path),
    });
  }
  if (doc.contents === null) return defaults(absolute);
  try {
    js = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const at = positionOf(firstAlias(doc), lines);
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      throw new ConfigError(`too many alias expansions (more than ${MAX_ALIAS_COUNT}): refusing what looks like an alias bomb`, {
        file,
        line: at?.line,
        column: at?.column,
        cause: error,
      });
    }
    throw new ConfigError(`cannot read the YAML: ${(error as Error).message}`, { file, line: at?.line, column: at?.column, cause: error });
  }
  const rootPos = positionOf(doc.contents as Node, lines);
  if (typeof js !== 'object' || js === null || Array.isArray(js) || !isMap(doc.contents)) {
    throw new ConfigError(`expected a mapping at the top of the file (such as "resilience:"), got ${describeValue(js)}`, {
      file,
      line: rootPos?.line,
      column: rootPos?.column,
    });
  }
  const root = js as Record<string, unknown>;
  const problems: Problem[] = [];
  // Other top-level sections belong to other parts of Builder; only near-misses of ours are errors.
  for (const key of Object.keys(root)) {
    const near = key !== 'resilience' && editDistance(key.toLowerCase().replace(/[-_\s]/g, ''), 'resilience') <= 2;
    if (near) problems.push({ path: [key], detail: 'unknown key, did you mean "resilience"?', onKey: true });
  }
  const section = Object.hasOwn(root, 'resilience') ? root.resilience : undefined;
  const settings = resilienceSchema.safeParse(section, { reportInput: true });
  const sectionKeys = (path: readonly string[]): readonly string[] =>
    path.length === 1 ? SECTION_KEYS.resilience : path[path.length - 1] === 'circuit_breaker' ? SECTION_KEYS.circuit_breaker : SECTION_KEYS.endpoint;
  if (!settings.success) problems.push(...problemsOf(settings.error, ['resilience'], sectionKeys));

  const endpoints = new Map<string, EndpointSettings>();
  // Endpoints are checked even when other settings of the section are wrong, so that one error lists every problem.
  const sectionMap = isMapping(section) ? section : undefined;
  const rawEndpoints = sectionMap !== undefined && Object.hasOwn(sectionMap, 'endpoints') && isMapping(sectionMap.endpoints) ? sectionMap.endpoints : undefined;
  if (rawEndpoints !== undefined) {
    for (const name of endpointOrder(doc, rawEndpoints)) {
      if (problems.length >= MAX_ISSUES) break;
      const path = ['resilience', 'endpoints', name];
      const nameProblem = checkName(name);
      if (nameProblem !== undefined) problems.push({ path, detail: nameProblem, onKey: true });
      const parsed = endpointSchema.safeParse(rawEndpoints[name], { reportInput: true });
      if (parsed.success) endpoints.set(name, parsed.data);
      else problems.push(...problemsOf(parsed.error, path, sectionKeys));
    }
  }

  const defaultPreset: PresetName = (settings.success ? settings.data?.default_policy : undefined) ?? 'standard';
  const defaultPolicy = PolicyPresets[defaultPreset]();
  const policies = new Map<string, Policy>();
  if (problems.length === 0) {
    for (const [name, endpoint] of endpoints) {
      const result = policyOf(endpoint, defaultPolicy);
      if (typeof result === 'string') {
        const onSuccesses = result.startsWith('expected an integer from 1 to half_open_trials');
        problems.push({ path: ['resilience', 'endpoints', name, ...(onSuccesses ? ['circuit_breaker', 'half_open_successes'] : [])], detail: result, onKey: !onSuccesses });
      }
      else policies.set(name, result);
    }
  }
  if (problems.length > 0) throw report(problems, doc, lines, file);
  return Object.freeze({
    file: absolute,
    enabled: (settings.success ? settings.data?.enabled : undefined) ?? true,
    defaultPreset,
    defaultPolicy,
    endpoints: policies,
  });
}

/** Endpoint names in file order (JavaScript objects put integer-like keys first). */
function endpointOrder(doc: Document, raw: Record<string, unknown>): string[] {
  let node = locate(doc, ['resilience', 'endpoints']);
  for (let guard = 0; isAlias(node) && guard < 100; guard++) node = node.resolve(doc) as Node | undefined;
  const keys = Object.keys(raw);
  if (!isMap(node)) return keys;
  const inFile = node.items.map((p) => keyText(p.key)).filter((k): k is string => k !== undefined && Object.hasOwn(raw, k));
  const seen = new Set(inFile);
  return [...new Set(inFile), ...keys.filter((k) => !seen.has(k))];
}

function checkName(name: string): string | undefined {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes === 0 || bytes > MAX_NAME_BYTES || !name.isWellFormed()) {
    return `expected an endpoint name of 1 to ${MAX_NAME_BYTES} UTF-8 bytes, got ${describeValue(name)} (${bytes} bytes)`;
  }
  return undefined;
}

/** The endpoint's complete policy, or what is wrong with the combination. */
function policyOf(endpoint: EndpointSettings, defaultPolicy: Policy): Policy | string {
  const base = endpoint?.policy === undefined ? defaultPolicy : PolicyPresets[endpoint.policy]();
  const cb = endpoint?.circuit_breaker ?? undefined;
  const trials = cb?.half_open_trials ?? base.halfOpenTrials;
  // As PolicyBuilder.withHalfOpenTrials: setting the trials alone makes all of them needed to close.
  const successes = cb?.half_open_successes ?? (cb?.half_open_trials === undefined ? base.halfOpenSuccesses : trials);
  if (successes > trials) return `expected an integer from 1 to half_open_trials (${trials}), got ${successes}`;
  const policy = {
    failureThreshold: cb?.threshold ?? base.failureThreshold,
    minimumRequests: cb?.minimum_requests ?? base.minimumRequests,
    windowMs: cb?.window ?? base.windowMs,
    windowBuckets: cb?.window_buckets ?? base.windowBuckets,
    openTimeoutMs: cb?.timeout ?? base.openTimeoutMs,
    halfOpenTrials: trials,
    halfOpenSuccesses: successes,
    trialTimeoutMs: cb?.trial_timeout ?? base.trialTimeoutMs,
    rate: endpoint?.rate_limit ?? base.rate,
    burst: endpoint?.burst ?? base.burst,
    adaptive: endpoint?.adaptive ?? base.adaptive,
    classifier: endpoint?.failure_classifier ?? base.classifier,
  };
  try {
    return validatePolicy(policy);
  } catch (error) {
    return (error as Error).message;
  }
}

/** One ConfigError for all the problems, worded after the first in file order. */
function report(problems: readonly Problem[], doc: Document, lines: LineCounter, file: string): ConfigError {
  const issues: ConfigIssue[] = problems.map((p) => {
    const at = positionOf(locate(doc, p.path, p.onKey === true), lines);
    return { line: at?.line, column: at?.column, keyPath: formatKeyPath(p.path), detail: p.detail };
  });
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  const first = issues[0] as ConfigIssue;
  return new ConfigError(first.detail, { file, line: first.line, column: first.column, keyPath: first.keyPath, issues });
}
