import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const samples = [...readme.matchAll(/<!-- sample: ([\w-]+) -->\n```ts\n([\s\S]*?)```/g)].map((m) => ({
  name: m[1] as string,
  code: m[2] as string,
}));
const outDir = join(root, 'test', '.samples');

describe('README samples', () => {
  it('has the samples the specification shows', () => {
    expect(samples.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        'quick-start',
        'presets',
        'builder',
        'priorities',
        'adaptive',
        'subscribe',
        'stats',
        'metrics-update',
        'start-strict',
        'config-file',
        'prometheus',
      ]),
    );
  });

  for (const sample of samples) {
    it(`runs the ${sample.name} sample`, async () => {
      mkdirSync(outDir, { recursive: true });
      const file = join(outDir, `${sample.name}.ts`);
      // Each package entry point maps to its source module.
      const code = sample.code.replace(/'@builder\/resilience(?:\/([\w-]+))?'/g, (_, sub: string | undefined) => {
        return `'${pathToFileURL(join(root, 'src', `${sub ?? 'index'}.ts`)).href}'`;
      });
      writeFileSync(file, code);
      await import(pathToFileURL(file).href);
    });
  }
});
