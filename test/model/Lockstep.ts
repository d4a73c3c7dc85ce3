/**
 * Runs the real service and the reference model side by side: every operation is applied to
 * both, and after it the results, breaker states, exact totals and clocks must be identical.
 */
import { type EndpointHandle, ManualClock, Rejection, ResilienceService } from '../../src/index.js';
import { totalsOf } from '../support/inspect.js';
import { describePolicy, expectedTicket, stateName, toPolicy } from './adapter.js';
import type { Op } from './arbitraries.js';
import { type AcquireResult, bucketWidth, type ModelPolicy, ReferenceModel } from './ReferenceModel.js';

interface Outstanding {
  readonly real: number;
  readonly model: AcquireResult;
}

export class LockstepMismatch extends Error {
  override name = 'LockstepMismatch';
}

export class Lockstep {
  readonly clock: ManualClock;
  readonly service: ResilienceService;
  readonly model: ReferenceModel;
  readonly names: readonly string[];
  readonly #policies: readonly ModelPolicy[];
  readonly #handles: EndpointHandle[];
  readonly #outstanding: Outstanding[][];
  /** What happened so far, for failure messages. */
  readonly #log: string[] = [];

  /** `initial[i]` is the index in `policies` of endpoint i's first policy. */
  constructor(start: number, policies: readonly ModelPolicy[], initial: readonly number[]) {
    this.clock = new ManualClock(start);
    this.#log.push(`clock starts at ${start}`);
    this.#policies = policies;
    const first = policies[0];
    if (first === undefined) throw new Error('Lockstep needs at least one policy');
    this.service = new ResilienceService(toPolicy(first), { clock: this.clock, capacity: Math.max(2, initial.length) });
    this.model = new ReferenceModel(start);
    this.names = initial.map((_, i) => `endpoint-${i}`);
    this.#handles = [];
    this.#outstanding = [];
    for (const [i, name] of this.names.entries()) {
      const policy = this.#policy(initial[i] as number);
      this.service.registerEndpoint(name, toPolicy(policy));
      this.model.registerEndpoint(name, policy);
      this.#handles.push(this.service.endpoint(name));
      this.#outstanding.push([]);
      this.#log.push(`register ${name} ${describePolicy(policy)}`);
    }
    this.check('after registration');
  }

  /** Applies `op` to both and checks; throws a LockstepMismatch describing the first difference. */
  apply(op: Op): void {
    switch (op.t) {
      case 'acquire':
        this.acquire(op.ep, op.n);
        break;
      case 'record':
        this.record(op.ep, op.pick, op.ok);
        break;
      case 'recordAll':
        while ((this.#outstanding[op.ep] as Outstanding[]).length > 0) this.record(op.ep, 0, op.ok);
        break;
      case 'advance':
        this.advance(op.ms);
        break;
      case 'align': {
        const width = bucketWidth(this.model.endpoint(this.names[0] as string).policy);
        const ms = op.buckets * width - (this.model.now % width) + op.offset;
        this.advance(ms >= 0 ? ms : ms + width);
        break;
      }
      case 'replace':
        this.replace(op.ep, op.policy);
        break;
    }
  }

  /** `n` calls of tryAcquire on endpoint `ep`; returns the real tickets. */
  acquire(ep: number, n: number): number[] {
    const name = this.names[ep] as string;
    const handle = this.#handles[ep] as EndpointHandle;
    const got: number[] = [];
    const want: number[] = [];
    for (let i = 0; i < n; i++) {
      const real = handle.tryAcquire();
      const model = this.model.tryAcquire(name);
      got.push(real);
      want.push(expectedTicket(model));
      if (real >= 0) (this.#outstanding[ep] as Outstanding[]).push({ real, model });
      if (real !== expectedTicket(model)) {
        this.#fail(`tryAcquire #${i + 1} of ${n} on ${name}: expected ${expectedTicket(model)}, got ${real}`);
      }
    }
    this.#log.push(`acquire ${name} x${n} -> ${summarise(got)}`);
    this.check(`after acquire ${name} x${n}`);
    return got;
  }

  /** Records an outstanding ticket of `ep` (chosen by `pick`), or a rejection code if none is outstanding. */
  record(ep: number, pick: number, ok: boolean): void {
    const name = this.names[ep] as string;
    const handle = this.#handles[ep] as EndpointHandle;
    const list = this.#outstanding[ep] as Outstanding[];
    if (list.length === 0) {
      handle.record(pick % 2 === 0 ? Rejection.RateLimited : Rejection.CircuitOpen, ok);
      this.#log.push(`record ${name} <rejection> ${ok ? 'ok' : 'fail'}`);
      this.check(`after recording a rejection code on ${name}`);
      return;
    }
    const [entry] = list.splice(pick % list.length, 1) as [Outstanding];
    handle.record(entry.real, ok);
    this.model.record(name, entry.model, ok);
    this.#log.push(`record ${name} ticket ${entry.real} ${ok ? 'ok' : 'fail'}`);
    this.check(`after record ${name} ticket ${entry.real} ${ok ? 'ok' : 'fail'}`);
  }

  advance(ms: number): void {
    this.clock.advance(ms);
    this.model.advance(ms);
    this.#log.push(`advance ${ms} -> ${this.model.now}`);
    this.check(`after advance ${ms}`);
  }

  replace(ep: number, policyIndex: number): void {
    const name = this.names[ep] as string;
    const policy = this.#policy(policyIndex);
    this.service.registerEndpoint(name, toPolicy(policy));
    this.model.registerEndpoint(name, policy);
    this.#log.push(`replace policy of ${name} by ${describePolicy(policy)}`);
    this.check(`after replacing the policy of ${name}`);
  }

  /** Compares clock, breaker states and totals of every endpoint. */
  check(when: string): void {
    const now = this.service.clock.now();
    if (now !== this.model.now) this.#fail(`${when}: clock expected ${this.model.now}, got ${now}`);
    for (const [i, name] of this.names.entries()) {
      const m = this.model.endpoint(name);
      const state = stateName((this.#handles[i] as EndpointHandle).state);
      if (state !== m.state) this.#fail(`${when}: ${name} state expected ${m.state}, got ${state}`);
      const t = totalsOf(this.service.handle, name);
      const real = [t.admitted, t.failures, t.rejectedOpen, t.rejectedRate, t.transitions];
      const want = [m.totals.admitted, m.totals.failures, m.totals.rejectedOpen, m.totals.rejectedRate, m.totals.transitions];
      if (real.some((v, k) => v !== want[k])) {
        this.#fail(
          `${when}: ${name} totals [admitted, failures, rejectedOpen, rejectedRate, transitions] expected ${JSON.stringify(want)}, got ${JSON.stringify(real)}`,
        );
      }
    }
  }

  #policy(index: number): ModelPolicy {
    const policy = this.#policies[index];
    if (policy === undefined) throw new Error(`no policy #${index}`);
    return policy;
  }

  #fail(message: string): never {
    const tail = this.#log.slice(-12).join('\n  ');
    throw new LockstepMismatch(`${message}\n  (${this.#log.length} steps so far; the last ones:)\n  ${tail}`);
  }
}

/** Run-length summary of tickets: "0x5, -2x3". */
function summarise(tickets: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < tickets.length) {
    let j = i;
    while (j < tickets.length && tickets[j] === tickets[i]) j++;
    parts.push(`${tickets[i]}x${j - i}`);
    i = j;
  }
  return parts.join(', ');
}
