/**
 * RemoteExecutor against the coordinator running in another process on loopback: commands
 * really run there, in child processes of their own.
 */
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNetworkError } from '../../src/index.js';
import type { ActionResult } from '../../src/integrations/executor/ActionResult.js';
import { type CoordinatorHttpError, isCoordinatorHttpError } from '../../src/integrations/executor/CoordinatorHttpError.js';
import { isCoordinatorFailure } from '../../src/integrations/executor/coordinatorClassifier.js';
import { RemoteExecutor } from '../../src/integrations/executor/RemoteExecutor.js';
import { isTransportError, type TransportError } from '../../src/integrations/transport/TransportError.js';
import { type FixtureProcess, startFixture, until } from '../support/fixtureProcess.js';

const node = process.execPath;
const workDir = realpathSync(tmpdir());
const js = (code: string): string[] => [node, '-e', code];

async function refusal(promise: Promise<unknown>): Promise<CoordinatorHttpError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!isCoordinatorHttpError(error)) throw new Error(`expected a CoordinatorHttpError, got ${String(error)}`);
  return error;
}

async function running(url: string): Promise<number> {
  const health = (await (await fetch(`${url}/health`)).json()) as { running: number };
  return health.running;
}

describe('RemoteExecutor and the coordinator, in two processes', () => {
  let coordinator: FixtureProcess<never>;
  let executor: RemoteExecutor;

  beforeAll(async () => {
    coordinator = await startFixture<never>('integration-coordinator', { maxConcurrent: 4, maxOutputBytes: 4096 });
    executor = new RemoteExecutor({ coordinatorUrl: coordinator.url });
  });
  afterAll(async () => {
    await coordinator?.stop();
  });

  it('really runs the command and returns its output and exit code', async () => {
    const result = await executor.execute('answer', {}, js('console.log(6*7)'), workDir);
    expect(result).toEqual<ActionResult>({
      actionId: 'answer',
      exitCode: 0,
      stdout: '42\n',
      stderr: '',
      durationMs: expect.any(Number) as number,
      signal: null,
      timedOut: false,
      truncated: false,
    });
    expect(result.durationMs).toBeGreaterThan(0);
  });

  it('runs it in workDir, with spec.env, as argv without a shell', async () => {
    const here = fileURLToPath(new URL('.', import.meta.url));
    const cwd = await executor.execute('cwd', {}, js('process.stdout.write(process.cwd())'), here);
    expect(cwd.stdout).toBe(realpathSync(here));
    const env = await executor.execute('env', { env: { ACTION_COLOUR: 'teal' } }, js('process.stdout.write(process.env.ACTION_COLOUR)'), workDir);
    expect(env.stdout).toBe('teal');
    const literal = await executor.execute('argv', {}, [node, '-e', 'process.stdout.write(process.argv[1])', '$HOME; echo *'], workDir);
    expect(literal.stdout).toBe('$HOME; echo *');
  });

  it('a failing command is a result, not an error: exit code and stderr', async () => {
    const result = await executor.execute('fails', {}, js("console.error('boom'); process.exit(3)"), workDir);
    expect([result.exitCode, result.stdout, result.stderr]).toEqual([3, '', 'boom\n']);
    const missing = await executor.execute('missing', {}, ['/no/such/program'], workDir);
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr).toMatch(/ENOENT/);
  });

  it('kills a command that passes spec.timeoutMs and cuts output at maxOutputBytes', async () => {
    const slow = await executor.execute('slow', { timeoutMs: 200 }, js('setInterval(() => {}, 1000)'), workDir);
    expect([slow.timedOut, slow.signal, slow.exitCode]).toEqual([true, 'SIGKILL', 137]);
    const loud = await executor.execute('loud', {}, js("process.stdout.write('x'.repeat(100000))"), workDir);
    expect([loud.exitCode, loud.truncated, loud.stdout.length]).toEqual([0, true, 4096]);
  });

  it('refuses malformed requests with 400 naming the field; they are not failures of the coordinator', async () => {
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      ['actionId', () => executor.execute(42 as unknown as string, {}, js('1'), workDir), /actionId: expected a non-empty string/],
      ['empty command', () => executor.execute('a', {}, [], workDir), /command: expected a non-empty array/],
      ['string command', () => executor.execute('a', {}, 'ls -l' as unknown as string[], workDir), /command: expected a non-empty array of strings/],
      ['non-string argument', () => executor.execute('a', {}, [node, 7 as unknown as string], workDir), /command\[1\]: expected a string/],
      ['relative workDir', () => executor.execute('a', {}, js('1'), 'tmp/build'), /workDir: expected an absolute path, got "tmp\/build"/],
      ['missing workDir', () => executor.execute('a', {}, js('1'), '/no/such/dir'), /workDir: "\/no\/such\/dir" does not exist/],
      ['file workDir', () => executor.execute('a', {}, js('1'), node), /is not a directory/],
      ['spec.timeoutMs', () => executor.execute('a', { timeoutMs: -5 }, js('1'), workDir), /spec\.timeoutMs: expected an integer/],
    ];
    for (const [what, call, message] of cases) {
      const error = await refusal(call());
      expect([what, error.status, error.transient]).toEqual([what, 400, false]);
      expect(error.message).toMatch(message);
      expect(isCoordinatorFailure(error)).toBe(false);
    }
    const raw = await fetch(`${coordinator.url}/actions`, { method: 'POST', body: '{not json' });
    expect(raw.status).toBe(400);
  });

  it('has no coordinator without a URL, and refuses a bad one', async () => {
    expect(() => new RemoteExecutor({ coordinatorUrl: 'localhost:8080' })).toThrow(/coordinatorUrl: "localhost:8080" has protocol localhost:/);
    const error = (await new RemoteExecutor().execute('a', {}, js('1'), workDir).catch((e: unknown) => e)) as TransportError;
    expect(isTransportError(error) && error.code).toBe('INVALID_URL');
  });
});

describe('a saturated coordinator', () => {
  it('answers 503 with Retry-After while maxConcurrent actions run, and kills the action of a caller that went away', async () => {
    const coordinator = await startFixture<never>('integration-coordinator', { maxConcurrent: 1 });
    try {
      const executor = new RemoteExecutor({ coordinatorUrl: coordinator.url });
      const caller = new AbortController();
      const long = executor.execute('long', {}, js('setInterval(() => {}, 1000)'), workDir, { signal: caller.signal });
      await until(async () => (await running(coordinator.url)) === 1, 'the long action running');

      const error = await refusal(executor.execute('more', {}, js('1'), workDir));
      expect([error.status, error.transient, error.retryAfterMs]).toEqual([503, true, 1000]);
      expect(error.message).toMatch(/saturated: 1 of 1 actions running/);
      expect(isCoordinatorFailure(error)).toBe(true);

      caller.abort(new Error('caller gone'));
      await expect(long).rejects.toThrow('caller gone');
      await until(async () => (await running(coordinator.url)) === 0, 'the abandoned action killed');
      const after = await executor.execute('after', {}, js('console.log(1)'), workDir);
      expect(after.stdout).toBe('1\n');
    } finally {
      await coordinator.stop();
    }
  });

  it('no answer at all is a NETWORK TransportError the network classifier counts', async () => {
    const coordinator = await startFixture<never>('integration-coordinator');
    await coordinator.kill('SIGKILL');
    const error = (await new RemoteExecutor({ coordinatorUrl: coordinator.url }).execute('a', {}, js('1'), workDir).catch((e: unknown) => e)) as TransportError;
    expect(isTransportError(error) && error.code).toBe('NETWORK');
    expect(isNetworkError(error)).toBe(true);
    expect(isCoordinatorFailure(error)).toBe(true);
  });
});
