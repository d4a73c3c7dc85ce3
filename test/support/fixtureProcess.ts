/**
 * A fixture in another process: `test/fixtures/<name>.ts` run by `node --import tsx` through
 * child_process.fork, given its options as JSON in argv[2]. It reports `{ type: 'ready', url }`
 * once listening, then any events; the test waits on the events it expects (never on a timer),
 * with a bound so that a broken fixture fails its test instead of hanging it.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Longest wait for a fixture event, ms. */
export const EVENT_BOUND_MS = 10_000;

export interface FixtureProcess<E> {
  readonly child: ChildProcess;
  /** What the fixture reported when ready (its server's base URL). */
  readonly url: string;
  /** Every event reported after `ready`, in order. */
  readonly events: readonly E[];
  /** Resolves when at least `count` events have arrived. */
  waitForEvents(count: number): Promise<readonly E[]>;
  /** Kills the process with `signal` and resolves when it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Asks the fixture to stop (SIGTERM; SIGKILL after a bound) and resolves when it has exited. */
  stop(): Promise<void>;
}

interface Ready {
  readonly type: 'ready';
  readonly url: string;
}

export function startFixture<E>(name: string, options: unknown = {}): Promise<FixtureProcess<E>> {
  const child = fork(fileURLToPath(new URL(`../fixtures/${name}.ts`, import.meta.url)), [JSON.stringify(options)], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const events: E[] = [];
  const waiters = new Set<() => void>();
  let exited: Promise<void> | undefined;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exitedFlag = false;
  void exit.then(() => {
    exitedFlag = true;
    for (const wake of waiters) wake();
  });

  const waitFor = <T>(check: () => T | undefined, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`fixture ${name}: no ${what} within ${EVENT_BOUND_MS} ms`)), EVENT_BOUND_MS);
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        waiters.delete(poll);
        if (error !== undefined) reject(error);
      };
      const poll = (): void => {
        const value = check();
        if (value !== undefined) {
          finish();
          resolve(value);
        } else if (exitedFlag) {
          finish(new Error(`fixture ${name} exited before ${what}`));
        }
      };
      waiters.add(poll);
      poll();
    });

  let url: string | undefined;
  child.on('message', (message: Ready | E) => {
    if (url === undefined && (message as Ready).type === 'ready') url = (message as Ready).url;
    else events.push(message as E);
    for (const wake of [...waiters]) wake();
  });

  const kill = (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    exited ??= exit;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const bound = setTimeout(() => child.kill('SIGKILL'), EVENT_BOUND_MS);
    child.kill('SIGTERM');
    await exit;
    clearTimeout(bound);
  };

  return waitFor(() => url, 'ready message').then(
    (readyUrl) => ({
      child,
      url: readyUrl,
      events,
      waitForEvents: (count: number) => waitFor(() => (events.length >= count ? events : undefined), `${count} events (got ${events.length})`),
      kill,
      stop,
    }),
    async (error: unknown) => {
      child.kill('SIGKILL');
      await exit;
      throw error;
    },
  );
}

/** Polls `check` (an HTTP probe, say) every 10 ms until it is true, at most `EVENT_BOUND_MS`. */
export async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + EVENT_BOUND_MS;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${EVENT_BOUND_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
