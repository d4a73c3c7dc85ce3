import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_FILE_NAME, findConfigFile, loadConfig, PolicyPresets } from '../../src/index.js';
import { tree } from './support.js';

const config = (rate: number): string => `resilience:\n  endpoints:\n    cache:\n      rate_limit: ${rate}\n`;

describe('finding .builderconfig', () => {
  it('in the working directory itself', () => {
    const dir = tree({ '.builderconfig': config(1) });
    expect(CONFIG_FILE_NAME).toBe('.builderconfig');
    expect(findConfigFile(dir)).toBe(join(dir, '.builderconfig'));
    expect(loadConfig({ cwd: dir }).endpoints.get('cache')?.rate).toBe(1);
  });

  it('from a nested directory: the nearest ancestor that has one wins', () => {
    const dir = tree({ '.builderconfig': config(1), 'packages/app/.builderconfig': config(2), 'packages/app/src/deep/x.ts': '' });
    mkdirSync(join(dir, 'packages/lib/src'), { recursive: true });
    expect(findConfigFile(join(dir, 'packages/app/src/deep'))).toBe(join(dir, 'packages/app/.builderconfig'));
    const nested = loadConfig({ cwd: join(dir, 'packages/app/src/deep') });
    expect(nested.file).toBe(join(dir, 'packages/app/.builderconfig'));
    expect(nested.endpoints.get('cache')?.rate).toBe(2);
    expect(loadConfig({ cwd: join(dir, 'packages/lib/src') }).endpoints.get('cache')?.rate).toBe(1);
  });

  it('process.cwd() by default', () => {
    const dir = tree({ '.builderconfig': config(3), 'sub/dir/.keep': '' });
    const before = process.cwd();
    process.chdir(join(dir, 'sub/dir'));
    try {
      expect(loadConfig().endpoints.get('cache')?.rate).toBe(3);
    } finally {
      process.chdir(before);
    }
  });

  it('a directory named .builderconfig is passed over', () => {
    const dir = tree({ '.builderconfig': config(4), 'inner/.builderconfig/keep': '' });
    expect(findConfigFile(join(dir, 'inner'))).toBe(join(dir, '.builderconfig'));
  });

  it('an explicit path (string, URL or the only argument) is read and nothing is searched', () => {
    const dir = tree({ '.builderconfig': config(1), 'elsewhere/custom.yaml': config(5) });
    const file = join(dir, 'elsewhere/custom.yaml');
    expect(loadConfig({ file, cwd: dir }).endpoints.get('cache')?.rate).toBe(5);
    expect(loadConfig(file).endpoints.get('cache')?.rate).toBe(5);
    expect(loadConfig(pathToFileURL(file)).file).toBe(file);
    expect(loadConfig({ file: 'elsewhere/custom.yaml', cwd: dir }).file).toBe(file);
  });

  it('no file anywhere: every default, and file undefined', () => {
    const dir = tree({ 'a/b/.keep': '' });
    // The temporary directory's ancestors must not have one either for this test to mean anything.
    if (findConfigFile(dir) !== undefined) return;
    const found = loadConfig({ cwd: join(dir, 'a/b') });
    expect(found.file).toBeUndefined();
    expect(found.enabled).toBe(true);
    expect(found.defaultPolicy).toEqual(PolicyPresets.standard());
    expect(found.endpoints.size).toBe(0);
  });
});
