import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function runDemo(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/main.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('npm run demo (plain output)', () => {
  it('tells the fault story: the downed cache opens its circuit, which closes after the server returns', async () => {
    const { code, out } = await runDemo(['--plain', '--actions', '360', '--pace', '65', '--down', '0.8-2', '--slow', '2.5-3']);
    expect(code, out).toBe(0);
    const lines = out.split('\n');
    const index = (pattern: RegExp, from = 0): number => lines.findIndex((line, i) => i >= from && pattern.test(line));
    const down = index(/fault: cache-1 is down/);
    const opened = index(/cache-1: circuit CLOSED -> OPEN/, down);
    const back = index(/fault: cache-1 is back/, opened);
    const closed = index(/cache-1: circuit HALF_OPEN -> CLOSED/, back);
    expect([down, opened, back, closed].every((i) => i >= 0), out).toBe(true);
    expect(down).toBeLessThan(opened);
    expect(back).toBeLessThan(closed);
    const summary = lines.find((line) => line.startsWith('summary: '));
    expect(summary, out).toMatch(/^summary: 360 actions in [\d.]+ s, \d+ cache hits, \d+ built without the cache, 0 not reported, [1-9]\d* calls saved by open circuits/);
  });

  it('explains its options with --help and refuses bad ones', async () => {
    const help = await runDemo(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/--cache-url URL/);
    const bad = await runDemo(['--down', '5-2']);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/--down: expected seconds as A-B with A < B, got "5-2"/);
  });
});
