import { CapacityError } from '../errors/CapacityError.js';
import { EndpointNameError } from '../errors/EndpointNameError.js';
import {
  EP_LIFE_I32,
  EP_NAME,
  EP_NAME_HASH_I32,
  EP_NAME_LENGTH_I32,
  EP_NEXT_FREE_I32,
  H_ACTIVE_TABLE_I32,
  H_BUMP_NEXT_I32,
  H_FREE_HEAD_I32,
  H_LIVE_COUNT_I32,
  H_TOMBSTONES_I32,
  MAX_NAME_BYTES,
} from './layout.generated.js';
import { withRegistrationLock } from './RegistrationLock.js';
import type { Slab } from './Slab.js';

const EMPTY = 0;
const TOMBSTONE = -1;
const encoder = new TextEncoder();
// ignoreBOM: a name may begin with U+FEFF like any other character.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** An endpoint name as the slab stores it. */
export interface EncodedName {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly hash: number;
}

/**
 * Checks and encodes an endpoint name: any well-formed string of 1 to MAX_NAME_BYTES UTF-8 bytes.
 * `__proto__`, `constructor` and the like are ordinary names (nothing is keyed by object property).
 */
export function encodeName(name: unknown): EncodedName {
  if (typeof name !== 'string') throw new EndpointNameError(`endpoint name must be a string, got ${typeof name}`);
  if (name.length === 0) throw new EndpointNameError('endpoint name must not be empty');
  if (!name.isWellFormed()) {
    throw new EndpointNameError(`endpoint name ${JSON.stringify(name)} contains a lone surrogate (not valid UTF-16)`);
  }
  const bytes = encoder.encode(name);
  if (bytes.length > MAX_NAME_BYTES) {
    throw new EndpointNameError(
      `endpoint name is ${bytes.length} UTF-8 bytes; the limit is ${MAX_NAME_BYTES} (name starts ${JSON.stringify(name.slice(0, 40))})`,
    );
  }
  return { name, bytes, hash: fnv1a(bytes) };
}

/** 32-bit FNV-1a. */
export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return h | 0;
}

/** Result of {@link EndpointTable.register}. */
export interface Registration {
  readonly index: number;
  readonly created: boolean;
}

/**
 * The names of a slab: open-addressed hash tables from name to endpoint record, usable from any
 * thread. Lookups take no lock: they read a table slot, then check the record's `life` word
 * before and after comparing the name, so a record being reused under them is never mistaken
 * for a match, and a miss is retried if a rebuild switched tables meanwhile. Register and
 * unregister run under the registration lock; two threads registering one name get one record.
 * Unregistering leaves a tombstone; when tombstones pass a quarter of the slots the table is
 * rebuilt into its twin and the twin published with one store. A thread that dies under the
 * lock (a terminated worker) loses nothing: the thread that displaces it repairs the free list
 * and the counts from the active table first.
 */
export class EndpointTable {
  readonly #slab: Slab;
  readonly #i32: Int32Array;
  readonly #u8: Uint8Array;
  readonly #mask: number;

  constructor(slab: Slab) {
    this.#slab = slab;
    this.#i32 = slab.i32;
    this.#u8 = slab.u8;
    this.#mask = slab.tableSlots - 1;
  }

  /** Registered endpoints. */
  get size(): number {
    return Atomics.load(this.#i32, H_LIVE_COUNT_I32);
  }

  /** The record index of a live endpoint, or -1. */
  lookup(encoded: EncodedName): number {
    const i32 = this.#i32;
    for (;;) {
      const generation = Atomics.load(i32, H_ACTIVE_TABLE_I32);
      const found = this.#probe(encoded, generation & 1);
      if (found >= 0) return found;
      if (Atomics.load(i32, H_ACTIVE_TABLE_I32) === generation) return -1;
    }
  }

  /**
   * Registers `encoded` unless it is registered already. `init(index)` runs under the lock for a
   * new record, before it becomes visible, and must write every field a user of it reads (but the
   * name, which is written after it, and `life`, which it must leave alone).
   */
  register(encoded: EncodedName, init: (index: number) => void): Registration {
    return this.locked(() => {
      const i32 = this.#i32;
      const existing = this.#probe(encoded, Atomics.load(i32, H_ACTIVE_TABLE_I32) & 1);
      if (existing >= 0) return { index: existing, created: false };
      const index = this.#allocate(encoded.name);
      const base = this.#slab.endpointBase32(index);
      try {
        init(index);
      } catch (error) {
        this.#free(index);
        throw error;
      }
      i32[base + EP_NAME_HASH_I32] = encoded.hash;
      i32[base + EP_NAME_LENGTH_I32] = encoded.bytes.length;
      this.#u8.set(encoded.bytes, this.#slab.endpointOffset(index) + EP_NAME);
      const life = Atomics.load(i32, base + EP_LIFE_I32);
      Atomics.store(i32, base + EP_LIFE_I32, (((life >>> 1) + 1) << 1) | 1);
      this.#insert(encoded.hash, index);
      Atomics.add(i32, H_LIVE_COUNT_I32, 1);
      return { index, created: true };
    });
  }

  /**
   * Runs `body` under the registration lock (for changes to a registered record). If the lock had
   * to be taken from a holder that died, what that holder left half done is repaired first.
   */
  locked<T>(body: () => T): T {
    return withRegistrationLock(this.#i32, body, this.#recover);
  }

  /** Unregisters `encoded`; true if it was registered. Handles to it rebind on next use. */
  unregister(encoded: EncodedName): boolean {
    return this.locked(() => {
      const i32 = this.#i32;
      const table = Atomics.load(i32, H_ACTIVE_TABLE_I32) & 1;
      const slot = this.#findSlot(encoded, table);
      if (slot < 0) return false;
      const index = (Atomics.load(i32, slot) as number) - 1;
      const base = this.#slab.endpointBase32(index);
      Atomics.store(i32, slot, TOMBSTONE);
      const life = Atomics.load(i32, base + EP_LIFE_I32);
      Atomics.store(i32, base + EP_LIFE_I32, ((life >>> 1) + 1) << 1);
      this.#free(index);
      Atomics.sub(i32, H_LIVE_COUNT_I32, 1);
      const tombstones = (i32[H_TOMBSTONES_I32] as number) + 1;
      i32[H_TOMBSTONES_I32] = tombstones;
      if (tombstones > this.#slab.tableSlots >>> 2) this.#rebuild(table);
      return true;
    });
  }

  /** The name stored in record `index`. */
  nameAt(index: number): string {
    const base = this.#slab.endpointBase32(index);
    const length = this.#i32[base + EP_NAME_LENGTH_I32] as number;
    const start = this.#slab.endpointOffset(index) + EP_NAME;
    return decoder.decode(this.#u8.slice(start, start + length));
  }

  /**
   * Record indexes of the registered endpoints, in record order: those the active table reaches
   * and whose record is live (a registration cut short by a dying thread is neither).
   */
  liveIndexes(): number[] {
    const i32 = this.#i32;
    for (;;) {
      const generation = Atomics.load(i32, H_ACTIVE_TABLE_I32);
      const tableBase = this.#tableBase(generation & 1);
      const out: number[] = [];
      for (let s = 0; s < this.#slab.tableSlots; s++) {
        const v = Atomics.load(i32, tableBase + s);
        if (v <= 0) continue;
        if ((Atomics.load(i32, this.#slab.endpointBase32(v - 1) + EP_LIFE_I32) & 1) === 1) out.push(v - 1);
      }
      if (Atomics.load(i32, H_ACTIVE_TABLE_I32) === generation) return out.sort((a, b) => a - b);
    }
  }

  /**
   * Repairs what a thread that died under the registration lock may have left half done, from
   * the active table (which every step publishes to last, with one store): a record taken from
   * the free list or the bump pointer but not yet in the table, or removed from the table but
   * not yet freed, goes back on the free list (its `life` made even, so a handle still bound to
   * it rebinds); the live count and the tombstone count are recounted. A half-built twin table
   * needs nothing: the next rebuild starts it over.
   */
  readonly #recover = (): void => {
    const i32 = this.#i32;
    const tableBase = this.#tableBase(Atomics.load(i32, H_ACTIVE_TABLE_I32) & 1);
    const used = Atomics.load(i32, H_BUMP_NEXT_I32);
    const inTable = new Uint8Array(used);
    let live = 0;
    let tombstones = 0;
    for (let s = 0; s < this.#slab.tableSlots; s++) {
      const v = i32[tableBase + s] as number;
      if (v === TOMBSTONE) tombstones++;
      else if (v !== EMPTY) {
        inTable[v - 1] = 1;
        live++;
      }
    }
    let head = 0;
    for (let r = used - 1; r >= 0; r--) {
      if (inTable[r] === 1) continue;
      const base = this.#slab.endpointBase32(r);
      const life = Atomics.load(i32, base + EP_LIFE_I32);
      if ((life & 1) === 1) Atomics.store(i32, base + EP_LIFE_I32, ((life >>> 1) + 1) << 1);
      i32[base + EP_NEXT_FREE_I32] = head;
      head = r + 1;
    }
    i32[H_FREE_HEAD_I32] = head;
    i32[H_TOMBSTONES_I32] = tombstones;
    Atomics.store(i32, H_LIVE_COUNT_I32, live);
  };

  #tableBase(table: number): number {
    return this.#slab.tables32 + table * this.#slab.tableSlots;
  }

  #probe(encoded: EncodedName, table: number): number {
    const slot = this.#findSlot(encoded, table);
    return slot < 0 ? -1 : (Atomics.load(this.#i32, slot) as number) - 1;
  }

  /** Int32 index of the table slot that holds `encoded`, or -1. */
  #findSlot(encoded: EncodedName, table: number): number {
    const i32 = this.#i32;
    const tableBase = this.#tableBase(table);
    for (let n = 0, s = encoded.hash & this.#mask; n <= this.#mask; n++, s = (s + 1) & this.#mask) {
      const v = Atomics.load(i32, tableBase + s);
      if (v === EMPTY) return -1;
      if (v === TOMBSTONE) continue;
      if (this.#matches(v - 1, encoded)) return tableBase + s;
    }
    return -1;
  }

  #matches(index: number, encoded: EncodedName): boolean {
    const i32 = this.#i32;
    const base = this.#slab.endpointBase32(index);
    const life = Atomics.load(i32, base + EP_LIFE_I32);
    if ((life & 1) === 0) return false;
    if (i32[base + EP_NAME_HASH_I32] !== encoded.hash || i32[base + EP_NAME_LENGTH_I32] !== encoded.bytes.length) return false;
    const start = this.#slab.endpointOffset(index) + EP_NAME;
    const u8 = this.#u8;
    const bytes = encoded.bytes;
    for (let i = 0; i < bytes.length; i++) if (u8[start + i] !== bytes[i]) return false;
    return Atomics.load(i32, base + EP_LIFE_I32) === life;
  }

  #allocate(name: string): number {
    const i32 = this.#i32;
    const free = i32[H_FREE_HEAD_I32] as number;
    if (free !== 0) {
      i32[H_FREE_HEAD_I32] = i32[this.#slab.endpointBase32(free - 1) + EP_NEXT_FREE_I32] as number;
      return free - 1;
    }
    const next = i32[H_BUMP_NEXT_I32] as number;
    if (next >= this.#slab.capacity) throw new CapacityError(name, this.#slab.capacity);
    Atomics.store(i32, H_BUMP_NEXT_I32, next + 1);
    return next;
  }

  #free(index: number): void {
    const i32 = this.#i32;
    i32[this.#slab.endpointBase32(index) + EP_NEXT_FREE_I32] = i32[H_FREE_HEAD_I32] as number;
    i32[H_FREE_HEAD_I32] = index + 1;
  }

  #insert(hash: number, index: number): void {
    const i32 = this.#i32;
    const tableBase = this.#tableBase(Atomics.load(i32, H_ACTIVE_TABLE_I32) & 1);
    for (let s = hash & this.#mask; ; s = (s + 1) & this.#mask) {
      const v = i32[tableBase + s] as number;
      if (v === EMPTY || v === TOMBSTONE) {
        if (v === TOMBSTONE) i32[H_TOMBSTONES_I32] = (i32[H_TOMBSTONES_I32] as number) - 1;
        Atomics.store(i32, tableBase + s, index + 1);
        return;
      }
    }
  }

  /** Copies the live entries of `from` into the other table and publishes it. */
  #rebuild(from: number): void {
    const i32 = this.#i32;
    const source = this.#tableBase(from);
    const target = this.#tableBase(from ^ 1);
    const slots = this.#slab.tableSlots;
    i32.fill(EMPTY, target, target + slots);
    for (let s = 0; s < slots; s++) {
      const v = i32[source + s] as number;
      if (v === EMPTY || v === TOMBSTONE) continue;
      const hash = i32[this.#slab.endpointBase32(v - 1) + EP_NAME_HASH_I32] as number;
      let t = hash & this.#mask;
      while (i32[target + t] !== EMPTY) t = (t + 1) & this.#mask;
      i32[target + t] = v;
    }
    i32[H_TOMBSTONES_I32] = 0;
    Atomics.add(i32, H_ACTIVE_TABLE_I32, 1);
  }
}
