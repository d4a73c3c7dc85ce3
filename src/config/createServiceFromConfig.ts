import { type ResilienceConfig, ResilienceService, type ResilienceServiceOptions } from '../service/ResilienceService.js';
import { loadConfig } from './loadConfig.js';

/**
 * A service built from a configuration — by default the `.builderconfig` that
 * {@link loadConfig}() finds. The same as `ResilienceService.fromConfig(config, options)`:
 * the environment switches (read from `options.env`) override the file.
 * @throws ConfigError for a bad file; nothing is created.
 */
export function createServiceFromConfig(config: ResilienceConfig = loadConfig(), options: ResilienceServiceOptions = {}): ResilienceService {
  return ResilienceService.fromConfig(config, options);
}
