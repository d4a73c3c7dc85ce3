import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ConfigWatcher, isConfigError, type LoadedConfig, ManualClock, parseConfig, ResilienceService, watchConfig } from '../../src/index.js';
import { tree } from './support.js';

const file = (rate: number, extra = ''): string => `resilience:\n  endpoints:\n    cache:\n      rate_limit: ${rate}\n${extra}`;

async function until(condition: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('watchConfig: reload on change', () => {
  it('applies a changed policy without losing counters; a bad file changes nothing and is reported', async () => {
    const dir = tree({ '.builderconfig': file(100) });
    const service = ResilienceService.fromConfig(parseConfig(file(100)), { clock: new ManualClock(0), env: false });
    const errors: Error[] = [];
    const reloads: LoadedConfig[] = [];
    let watcher: ConfigWatcher | undefined;
    try {
      watcher = watchConfig(service, { cwd: dir, onError: (e) => errors.push(e), onReload: (c) => reloads.push(c), debounceMs: 10 });
      expect(watcher.file).toBe(join(dir, '.builderconfig'));
      for (let i = 0; i < 3; i++) await service.execute('cache', () => i);

      writeFileSync(join(dir, '.builderconfig'), file(250, '    extra:\n      burst: 5\n'));
      await until(() => reloads.length > 0, 'the reload after a write');
      expect(service.policyOf('cache').rate).toBe(250);
      expect(service.policyOf('extra').burst).toBe(5);
      expect(service.getBreakerStatistics('cache').total).toBe(3);

      // Editors write a new file and rename it over the old one.
      writeFileSync(join(dir, 'tmp.yaml'), file(75));
      renameSync(join(dir, 'tmp.yaml'), join(dir, '.builderconfig'));
      await until(() => service.policyOf('cache').rate === 75, 'the reload after a rename');
      // Gone from the file: back to the service's default policy, counters kept.
      expect(service.policyOf('extra')).toEqual(service.defaultPolicy);

      writeFileSync(join(dir, '.builderconfig'), file(0));
      await until(() => errors.length > 0, 'the error of a bad file');
      expect(isConfigError(errors[0])).toBe(true);
      expect(errors[0]?.message).toContain('.builderconfig:4:19 resilience.endpoints.cache.rate_limit');
      expect(service.policyOf('cache').rate).toBe(75);
      expect(service.getBreakerStatistics('cache').total).toBe(3);

      writeFileSync(join(dir, '.builderconfig'), file(10));
      expect(watcher.reload()?.endpoints.get('cache')?.rate).toBe(10);
      expect(service.policyOf('cache').rate).toBe(10);
    } finally {
      watcher?.close();
      service.close();
    }
  });

  it('refuses a file naming more endpoints than the service has room for, applying none of them', () => {
    const dir = tree({ '.builderconfig': file(100) });
    const service = new ResilienceService(undefined, { clock: new ManualClock(0), env: false, capacity: 2 });
    const errors: Error[] = [];
    using watcher = watchConfig(service, { cwd: dir, onError: (e) => errors.push(e) });
    writeFileSync(join(dir, '.builderconfig'), `${file(5)}    b: {}\n    c: {}\n`);
    expect(watcher.reload()).toBeUndefined();
    expect(errors[0]?.message).toMatch(/2 new endpoints; the service has room for 1/);
    expect(service.policyOf('cache').rate).toBe(100);
    expect(service.hasEndpoint('b')).toBe(false);
    service.close();
  });

  it('throws a ConfigError when there is no file to watch', () => {
    const dir = tree({ 'x/.keep': '' });
    const service = new ResilienceService(undefined, { clock: new ManualClock(0), env: false });
    expect(() => watchConfig(service, { file: join(dir, 'missing.yaml') })).toThrow(/no such file/);
    service.close();
  });
});
