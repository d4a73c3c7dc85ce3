/**
 * What the build knows about an action besides its command. The coordinator reads `timeoutMs`
 * and `env`; `ResilientRemoteExecutor` reads `priority`; every other field is carried along
 * unread (inputs, outputs, cache keys, …).
 */
export interface ActionSpec {
  /** The action's priority (0–255, see `Priority`) for `ResilientRemoteExecutor`, when `execute()` is given none. */
  readonly priority?: number;
  /** How long the coordinator lets the command run, ms (an integer >= 1; capped by the coordinator's `actionTimeoutMs`). */
  readonly timeoutMs?: number;
  /** Environment variables added to the coordinator's own for the command. */
  readonly env?: Readonly<Record<string, string>>;
  readonly [field: string]: unknown;
}

/** What `RemoteExecutor` POSTs to `${coordinatorUrl}/actions`. */
export interface ActionRequest {
  /** The action's id, a non-empty string. */
  readonly actionId: string;
  readonly spec: ActionSpec;
  /** The program and its arguments (argv; run without a shell). */
  readonly command: readonly string[];
  /** Absolute path of an existing directory on the coordinator's machine: the command's working directory. */
  readonly workDir: string;
}

/** The result of running an action's command: a command that fails is a result too (`exitCode` ≠ 0). */
export interface ActionResult {
  readonly actionId: string;
  /**
   * The command's exit status; a command killed by a signal gets 128 + the signal's number (as in
   * a shell: 137 for SIGKILL), one the coordinator could not start 127 (not found) or 126 (not
   * executable).
   */
  readonly exitCode: number;
  /** Its standard output, UTF-8, at most the coordinator's `maxOutputBytes`. */
  readonly stdout: string;
  /** Its standard error, likewise bounded. */
  readonly stderr: string;
  /** Run time on the coordinator, from start to exit, ms. */
  readonly durationMs: number;
  /** The signal that ended the command, or null when it exited. */
  readonly signal: string | null;
  /** True when the coordinator killed it for passing its timeout. */
  readonly timedOut: boolean;
  /** True when stdout or stderr was cut at `maxOutputBytes`. */
  readonly truncated: boolean;
}
