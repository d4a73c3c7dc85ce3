/**
 * Operations of the model-based tests as plain data, and how any thread applies them to its own
 * service (the main thread directly, a worker of test/fixtures/reliability-ops.ts on request).
 * Every call goes through the public API; what it returned or threw comes back as plain data.
 */
import type { Policy, ResilienceService } from '../../src/index.js';
import { errorCode } from './support.js';

export type WireOp =
  | { readonly op: 'register'; readonly name: string; readonly policy: Policy }
  | { readonly op: 'unregister'; readonly name: string }
  /** `n` calls of `service.endpoint(name).tryAcquire()`. */
  | { readonly op: 'acquire'; readonly name: string; readonly n: number }
  /** `service.endpoint(name).record(ticket, ok)`. */
  | { readonly op: 'record'; readonly name: string; readonly ticket: number; readonly ok: boolean }
  | { readonly op: 'advance'; readonly ms: number }
  | { readonly op: 'adjust'; readonly name: string; readonly health: number }
  | { readonly op: 'reset'; readonly name: string };

/**
 * The outcome of one call: `value` (a ticket, a boolean, a rate, or null for nothing), or the
 * code of what it threw (`CAPACITY`, `TypeError`, ...). `acquire` gives one outcome per call.
 */
export type Outcome = { readonly value: number | boolean | null } | { readonly error: string; readonly message: string };

function attempt(call: () => unknown): Outcome {
  try {
    const value = call();
    return { value: typeof value === 'number' || typeof value === 'boolean' ? value : null };
  } catch (error) {
    return { error: errorCode(error), message: error instanceof Error ? error.message : String(error) };
  }
}

/** Applies `op` to `service` (in the calling thread) and returns one outcome per call made. */
export function applyWireOp(service: ResilienceService, op: WireOp): Outcome[] {
  switch (op.op) {
    case 'register':
      return [attempt(() => service.registerEndpoint(op.name, op.policy))];
    case 'unregister':
      return [attempt(() => service.unregisterEndpoint(op.name))];
    case 'acquire':
      return Array.from({ length: op.n }, () => attempt(() => service.endpoint(op.name).tryAcquire()));
    case 'record':
      return [attempt(() => service.endpoint(op.name).record(op.ticket, op.ok))];
    case 'advance':
      return [attempt(() => service.clock.advance(op.ms))];
    case 'adjust':
      return [attempt(() => service.adjustRate(op.name, op.health))];
    case 'reset':
      return [attempt(() => service.resetStats(op.name))];
  }
}

/** Messages to a reliability-ops.ts worker. */
export type OpsRequest =
  | { readonly id: number; readonly kind: 'attach'; readonly handle: unknown }
  | { readonly id: number; readonly kind: 'op'; readonly op: WireOp }
  /** Meet the other parties at control word `word` (see test/support/sync.ts meet), then apply `ops` back to back. */
  | { readonly id: number; readonly kind: 'race'; readonly control: SharedArrayBuffer; readonly word: number; readonly parties: number; readonly round: number; readonly ops: readonly WireOp[] }
  /** execute(name, () => 'done', priority, timeout); answered when the call settles. */
  | { readonly id: number; readonly kind: 'execute'; readonly name: string; readonly priority: number; readonly timeout: number }
  | { readonly id: number; readonly kind: 'exit' };

export interface OpsReply {
  readonly id: number;
  readonly outcomes: Outcome[];
}
