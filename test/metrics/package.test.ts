import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as Record<string, Record<string, unknown>>;

describe('package.json', () => {
  it('exports @builder/resilience/prometheus (types + import) and keeps prom-client an optional peer', () => {
    expect(pkg.exports?.['./prometheus']).toEqual({ types: './dist/prometheus.d.ts', import: './dist/prometheus.js' });
    expect(pkg.peerDependencies?.['prom-client']).toBeDefined();
    expect(pkg.peerDependenciesMeta?.['prom-client']).toEqual({ optional: true });
    expect(pkg.dependencies?.['prom-client']).toBeUndefined();
    expect(pkg.devDependencies?.['prom-client']).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('yaml and zod are dependencies pinned to exact versions', () => {
    expect(pkg.dependencies?.yaml).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.dependencies?.zod).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
