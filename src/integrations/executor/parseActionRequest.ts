import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { HttpProblem } from '../transport/jsonServer.js';
import { MAX_ID_LENGTH } from '../transport/messages.js';
import type { ActionRequest, ActionSpec } from './ActionResult.js';

function bad(message: string): HttpProblem {
  return new HttpProblem(400, message);
}

function got(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return value === null ? 'null' : typeof value;
}

function plainString(value: unknown, what: string, allowEmpty: boolean): string {
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) throw bad(`${what}: expected a ${allowEmpty ? '' : 'non-empty '}string, got ${got(value)}`);
  if (value.includes('\0')) throw bad(`${what}: must not contain NUL characters`);
  return value;
}

function checkSpec(value: unknown): ActionSpec {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(`spec: expected an object, got ${got(value)}`);
  const spec = value as ActionSpec;
  const { timeoutMs, env, priority } = spec;
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && Number.isSafeInteger(timeoutMs) && timeoutMs >= 1)) {
    throw bad(`spec.timeoutMs: expected an integer number of ms >= 1, got ${String(timeoutMs)}`);
  }
  if (priority !== undefined && !(typeof priority === 'number' && Number.isInteger(priority) && priority >= 0 && priority <= 255)) {
    throw bad(`spec.priority: expected an integer from 0 to 255, got ${String(priority)}`);
  }
  if (env !== undefined) {
    if (typeof env !== 'object' || env === null || Array.isArray(env)) throw bad(`spec.env: expected an object of strings, got ${got(env)}`);
    for (const [name, v] of Object.entries(env)) {
      if (name === '' || name.includes('=') || name.includes('\0')) throw bad(`spec.env: invalid variable name ${JSON.stringify(name)}`);
      plainString(v, `spec.env.${name}`, true);
    }
  }
  return spec;
}

/**
 * Checks an action request as the coordinator receives it. `workDir` must be an absolute path
 * of an existing directory on this machine.
 * @throws HttpProblem 400 naming the field.
 */
export async function parseActionRequest(body: unknown): Promise<ActionRequest> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad(`body: expected an object { actionId, spec, command, workDir }, got ${got(body)}`);
  const v = body as Readonly<Record<string, unknown>>;
  const actionId = plainString(v.actionId, 'actionId', false);
  if (actionId.length > MAX_ID_LENGTH) throw bad(`actionId: longer than ${MAX_ID_LENGTH} characters`);
  const spec = checkSpec(v.spec);
  const command = v.command;
  if (!Array.isArray(command) || command.length === 0) throw bad(`command: expected a non-empty array of strings (argv, run without a shell), got ${got(command)}`);
  for (const [i, arg] of (command as unknown[]).entries()) plainString(arg, `command[${i}]`, i > 0);
  const workDir = plainString(v.workDir, 'workDir', false);
  if (!isAbsolute(workDir)) throw bad(`workDir: expected an absolute path, got ${got(workDir)}`);
  const info = await stat(workDir).catch(() => undefined);
  if (info === undefined) throw bad(`workDir: ${got(workDir)} does not exist on the coordinator`);
  if (!info.isDirectory()) throw bad(`workDir: ${got(workDir)} is not a directory`);
  return { actionId, spec, command: command as string[], workDir };
}
