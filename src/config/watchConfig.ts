import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ConfigError } from '../errors/ConfigError.js';
import type { Policy } from '../policy/Policy.js';
import type { ResilienceService } from '../service/ResilienceService.js';
import { type LoadConfigOptions, type LoadedConfig, loadConfig } from './loadConfig.js';

/** Options of {@link watchConfig}. */
export interface WatchConfigOptions extends LoadConfigOptions {
  /** Called with each configuration applied after a change. */
  readonly onReload?: (config: LoadedConfig) => void;
  /** Called when a changed file cannot be used; the configuration in force stays as it was. @default process warning */
  readonly onError?: (error: Error) => void;
  /** Changes closer together than this are read once, ms. @default 50 */
  readonly debounceMs?: number;
}

/** A running watch; `reload()` reads the file now, `close()` stops watching. */
export interface ConfigWatcher {
  /** The file watched (absolute). */
  readonly file: string;
  /** Reads and applies the file now; returns the configuration applied, or undefined when it could not be used. */
  reload(): LoadedConfig | undefined;
  close(): void;
  [Symbol.dispose](): void;
}

/**
 * Applies a configuration file to a running service now and whenever the file changes: every endpoint
 * of the file gets its (new) policy through `registerEndpoint`, which keeps its counters and
 * breaker state, and endpoints no longer in the file go back to the service's default policy.
 * A file that does not check is reported to `onError` and changes nothing. `enabled` and
 * `default_policy` are read when a service is made; a change of them applies at the next start
 * (endpoints of the file without a `policy` do follow a new `default_policy`).
 *
 * @throws ConfigError when no file is named and none is found.
 */
export function watchConfig(service: ResilienceService, options: WatchConfigOptions = {}): ConfigWatcher {
  const first = loadConfig(options);
  const file = first.file;
  if (file === undefined) throw new ConfigError(`no .builderconfig found in ${options.cwd ?? process.cwd()} or its ancestors`);
  const onError = options.onError ?? ((error: Error) => process.emitWarning(`@builder/resilience: configuration not reloaded: ${error.message}`));
  const debounceMs = options.debounceMs ?? 50;
  let applied: ReadonlyMap<string, Policy> = new Map();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  /** Applies every endpoint of `config` or, when the service has no room for them, nothing. */
  const apply = (config: LoadedConfig): void => {
    const added = [...config.endpoints.keys()].filter((name) => !service.hasEndpoint(name)).length;
    const room = service.capacity - service.endpointNames().length;
    if (added > room) throw new ConfigError(`the file names ${added} new endpoints; the service has room for ${room}`, { file });
    for (const [name, policy] of config.endpoints) service.registerEndpoint(name, policy);
    for (const name of applied.keys()) if (!config.endpoints.has(name) && service.hasEndpoint(name)) service.registerEndpoint(name, service.defaultPolicy);
    applied = config.endpoints;
  };

  const reload = (): LoadedConfig | undefined => {
    let config: LoadedConfig;
    try {
      config = loadConfig({ ...options, file });
      apply(config);
    } catch (error) {
      onError(error as Error);
      return undefined;
    }
    options.onReload?.(config);
    return config;
  };

  apply(first);
  // Watch the directory: editors replace the file rather than write into it.
  let watcher: FSWatcher | undefined = watch(dirname(file), { persistent: false }, (_event, name) => {
    if (closed || (name !== null && name !== basename(file))) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (!closed) reload();
    }, debounceMs);
    timer.unref();
  });
  watcher.on('error', (error) => onError(error));

  const close = (): void => {
    if (closed) return;
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    watcher?.close();
    watcher = undefined;
  };
  return { file, reload, close, [Symbol.dispose]: close };
}
