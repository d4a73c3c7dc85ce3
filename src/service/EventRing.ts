import {
  EV_AT_I32,
  EV_CHANGE_I32,
  EV_ENDPOINT_I32,
  EV_ENTRY_I32,
  EV_SEQ_I32,
  EVENT_SLOTS,
  H_EVENT_TAIL_I32,
  H_EVENTS_I32,
} from '../core/layout.generated.js';

/** A breaker transition as read from the ring. */
export interface RingEvent {
  readonly seq: number;
  readonly index: number;
  readonly life: number;
  readonly from: number;
  readonly to: number;
  /** Slab time modulo 2^32. */
  readonly at: number;
}

const entryAt = (seq: number): number => H_EVENTS_I32 + (seq % EVENT_SLOTS) * EV_ENTRY_I32;

/**
 * Publishes a transition (called once, by the thread whose CAS made it). Claims a sequence
 * number, writes the entry, commits it by storing seq + 1 last, and wakes listeners.
 */
export function publishEvent(i32: Int32Array, index: number, life: number, from: number, to: number, at: number): void {
  const seq = Atomics.add(i32, H_EVENT_TAIL_I32, 1) >>> 0;
  const e = entryAt(seq);
  i32[e + EV_ENDPOINT_I32] = index;
  i32[e + EV_CHANGE_I32] = (from & 0xff) | ((to & 0xff) << 8) | ((life & 0xffff) << 16);
  i32[e + EV_AT_I32] = at;
  Atomics.store(i32, e + EV_SEQ_I32, (seq + 1) | 0);
  Atomics.notify(i32, H_EVENT_TAIL_I32);
}

/** Events published so far. */
export const eventTail = (i32: Int32Array): number => Atomics.load(i32, H_EVENT_TAIL_I32) >>> 0;

/**
 * A reader of the ring with its own cursor: every reader sees every event once, in order.
 * An entry whose writer died before committing it is skipped once later entries are committed
 * and it has stayed uncommitted for `stallLimit` drains; a reader that falls more than the ring's
 * size behind counts the events it lost in `missed`.
 */
export class EventCursor {
  #next: number;
  #stalls = 0;
  missed = 0;

  constructor(i32: Int32Array) {
    this.#next = eventTail(i32);
  }

  drain(i32: Int32Array, deliver: (event: RingEvent) => void, stallLimit = 50): void {
    const tail = eventTail(i32);
    if (tail - this.#next > EVENT_SLOTS) {
      this.missed += tail - EVENT_SLOTS - this.#next;
      this.#next = tail - EVENT_SLOTS;
    }
    while (this.#next < tail) {
      const seq = this.#next;
      const e = entryAt(seq);
      if (Atomics.load(i32, e + EV_SEQ_I32) !== ((seq + 1) | 0)) {
        if (++this.#stalls < stallLimit) return;
        this.missed++;
      } else {
        const change = i32[e + EV_CHANGE_I32] as number;
        const event: RingEvent = {
          seq,
          index: i32[e + EV_ENDPOINT_I32] as number,
          life: change >>> 16,
          from: change & 0xff,
          to: (change >>> 8) & 0xff,
          at: i32[e + EV_AT_I32] as number,
        };
        // An entry overwritten while we read it is caught by its sequence number changing.
        if (Atomics.load(i32, e + EV_SEQ_I32) === ((seq + 1) | 0)) deliver(event);
        else this.missed++;
      }
      this.#stalls = 0;
      this.#next = seq + 1;
    }
  }
}
