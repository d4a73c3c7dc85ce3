import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { ActionRequest, ActionResult } from './ActionResult.js';

/** Bounds of one run. */
export interface RunLimits {
  /** Kill the command (its whole process group) after this many ms. */
  readonly timeoutMs: number;
  /** Bytes kept of each of stdout and stderr; the rest is read and dropped. */
  readonly maxOutputBytes: number;
}

/** A command being run. */
export interface RunningAction {
  /** Settles when the command has exited and its output is closed; rejects only when it could not be started for a reason other than a missing or non-executable program. */
  readonly result: Promise<ActionResult>;
  /** Kills the command and its process group now (for a caller that went away, or shutdown). */
  kill(): void;
}

/** Exit codes a shell gives for a program it cannot start. */
const START_FAILURES: Readonly<Record<string, number>> = { ENOENT: 127, EACCES: 126, ENOTDIR: 127 };

/** Keeps the first `max` bytes of a stream and drops (but keeps reading) the rest. */
class Capture {
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  truncated = false;

  constructor(readonly max: number) {}

  push(chunk: Buffer): void {
    const room = this.max - this.#kept;
    if (room <= 0) {
      this.truncated ||= chunk.byteLength > 0;
      return;
    }
    const part = chunk.byteLength <= room ? chunk : chunk.subarray(0, room);
    if (part !== chunk) this.truncated = true;
    this.#chunks.push(part);
    this.#kept += part.byteLength;
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

/**
 * Runs `request.command` — argv, no shell — in `request.workDir` with the coordinator's
 * environment plus `spec.env`, stdin closed. On POSIX the command leads its own process group,
 * so a timeout or `kill()` ends whatever it started too.
 */
export function runAction(request: ActionRequest, limits: RunLimits): RunningAction {
  const [program, ...args] = request.command as [string, ...string[]];
  const group = process.platform !== 'win32';
  const start = performance.now();
  const stdout = new Capture(limits.maxOutputBytes);
  const stderr = new Capture(limits.maxOutputBytes);
  let timedOut = false;
  let finished = false;
  const child = spawn(program, args, {
    cwd: request.workDir,
    env: { ...process.env, ...request.spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: false,
    detached: group,
    windowsHide: true,
  });
  const kill = (): void => {
    if (finished || child.pid === undefined) return;
    try {
      if (group) process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch {
      // already gone
    }
  };
  const result = new Promise<ActionResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, limits.timeoutMs);
    const settle = (exitCode: number, signal: string | null): void => {
      finished = true;
      clearTimeout(timer);
      resolve({
        actionId: request.actionId,
        exitCode,
        stdout: stdout.text(),
        stderr: stderr.text(),
        durationMs: performance.now() - start,
        signal,
        timedOut,
        truncated: stdout.truncated || stderr.truncated,
      });
    };
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (finished) return;
      if (child.pid !== undefined) return; // a kill or pipe error of a started child: 'close' still follows
      const code = error.code === undefined ? undefined : START_FAILURES[error.code];
      if (code === undefined) {
        finished = true;
        clearTimeout(timer);
        reject(error);
        return;
      }
      stderr.push(Buffer.from(`cannot start ${JSON.stringify(program)}: ${error.message}\n`));
      settle(code, null);
    });
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      if (finished) return;
      const bySignal = signal === null ? undefined : 128 + (constants.signals[signal] ?? 0);
      settle(code ?? bySignal ?? 1, signal);
    });
  });
  return { result, kill };
}
