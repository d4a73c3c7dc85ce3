/**
 * The worker protocol's messages. Every message names its sender; the recipient's id travels
 * beside it (the first argument of each `send…` call). On the wire each message is POSTed as
 * JSON `{ "to": recipientId, "message": … }` to `/heartbeat`, `/steal-request` or
 * `/steal-response` under the worker's URL; the worker answers 204.
 */

/** "I am alive, and this busy": sent periodically by every worker. */
export interface Heartbeat {
  /** The sending worker. */
  readonly workerId: string;
  /** When it was sent: the sender's wall clock, ms since the epoch (`Date.now()`). */
  readonly timestamp: number;
  /** How busy the sender is: busy executor slots / all slots (above 1 when oversubscribed), >= 0. */
  readonly load: number;
  /** Actions waiting in the sender's queue, an integer >= 0. */
  readonly queueDepth: number;
}

/** "Give me work": sent by an idle worker (the thief) to a busy one (the victim). */
export interface StealRequest {
  /** The sending (idle) worker, to which the victim answers with a {@link StealResponse}. */
  readonly thiefId: string;
  /** The most actions the thief will take, an integer >= 1. */
  readonly maxActions: number;
}

/** One action handed over in a {@link StealResponse}. */
export interface ActionSummary {
  /** The action's id (the thief fetches or rebuilds its spec by id). */
  readonly actionId: string;
  /** Its scheduling priority, an integer 0–255. */
  readonly priority?: number;
  /** The victim's estimate of its run time, ms. */
  readonly estimatedMs?: number;
}

/** The victim's answer to a {@link StealRequest}: the actions it gives up (possibly none). */
export interface StealResponse {
  /** The sending (busy) worker. */
  readonly victimId: string;
  /** At most the requested number of actions, and at most {@link MAX_STOLEN_ACTIONS}. */
  readonly actions: readonly ActionSummary[];
}

/** Names of the protocol's messages, which are also their URL paths. */
export type WorkerMessageKind = 'heartbeat' | 'steal-request' | 'steal-response';

/** Longest id (of a worker or an action) the protocol carries, in UTF-16 units. */
export const MAX_ID_LENGTH = 1024;
/** Most actions one steal response carries. */
export const MAX_STOLEN_ACTIONS = 10_000;

function got(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (Array.isArray(value)) return 'an array';
  return value === null ? 'null' : `${typeof value} ${typeof value === 'object' ? '' : String(value)}`.trim();
}

function object(value: unknown, what: string): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`${what}: expected an object, got ${got(value)}`);
  return value as Readonly<Record<string, unknown>>;
}

/** Checks a worker or action id. @throws TypeError naming `what`. */
export function checkId(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new TypeError(`${what}: expected a non-empty string of at most ${MAX_ID_LENGTH} characters, got ${got(value)}`);
  }
  return value;
}

function number(value: unknown, what: string, integer: boolean, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && (!integer || Number.isInteger(value)) && value >= min && value <= max;
  if (!ok) throw new TypeError(`${what}: expected ${integer ? 'an integer' : 'a finite number'} from ${min} to ${max}, got ${got(value)}`);
  return value;
}

/** A checked copy of a heartbeat with only its documented fields. @throws TypeError naming the field. */
export function toHeartbeat(value: unknown, what = 'heartbeat'): Heartbeat {
  const v = object(value, what);
  return {
    workerId: checkId(v.workerId, `${what}.workerId`),
    timestamp: number(v.timestamp, `${what}.timestamp`, false, 0),
    load: number(v.load, `${what}.load`, false, 0),
    queueDepth: number(v.queueDepth, `${what}.queueDepth`, true, 0),
  };
}

/** A checked copy of a steal request. @throws TypeError naming the field. */
export function toStealRequest(value: unknown, what = 'stealRequest'): StealRequest {
  const v = object(value, what);
  return { thiefId: checkId(v.thiefId, `${what}.thiefId`), maxActions: number(v.maxActions, `${what}.maxActions`, true, 1, MAX_STOLEN_ACTIONS) };
}

function toActionSummary(value: unknown, what: string): ActionSummary {
  const v = object(value, what);
  const actionId = checkId(v.actionId, `${what}.actionId`);
  const priority = v.priority === undefined ? undefined : number(v.priority, `${what}.priority`, true, 0, 255);
  const estimatedMs = v.estimatedMs === undefined ? undefined : number(v.estimatedMs, `${what}.estimatedMs`, false, 0);
  return {
    actionId,
    ...(priority === undefined ? {} : { priority }),
    ...(estimatedMs === undefined ? {} : { estimatedMs }),
  };
}

/** A checked copy of a steal response. @throws TypeError naming the field. */
export function toStealResponse(value: unknown, what = 'stealResponse'): StealResponse {
  const v = object(value, what);
  const victimId = checkId(v.victimId, `${what}.victimId`);
  if (!Array.isArray(v.actions) || v.actions.length > MAX_STOLEN_ACTIONS) {
    throw new TypeError(`${what}.actions: expected an array of at most ${MAX_STOLEN_ACTIONS} actions, got ${got(v.actions)}`);
  }
  return { victimId, actions: v.actions.map((a: unknown, i) => toActionSummary(a, `${what}.actions[${i}]`)) };
}
