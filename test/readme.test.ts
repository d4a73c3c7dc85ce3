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
      expect.arrayContaining(['quick-start', 'presets', 'builder', 'priorities', 'adaptive', 'subscribe', 'stats', 'metrics-update', 'start-strict']),
    );
  });

  for (const sample of samples) {
    it(`runs the ${sample.name} sample`, async () => {
      mkdirSync(outDir, { recursive: true });
      const file = join(outDir, `${sample.name}.ts`);
      const entry = pathToFileURL(join(root, 'src', 'index.ts')).href;
      writeFileSync(file, sample.code.replaceAll("'@builder/resilience'", `'${entry}'`));
      await import(pathToFileURL(file).href);
    });
  }
});
