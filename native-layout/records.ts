/**
 * The one declaration of every record in a resilience slab.
 *
 * Nothing else in the project writes an offset, a stride or a size: `generate.ts` turns these
 * declarations into `src/core/layout.generated.ts` (TypeScript constants), `resilience_slab.h`
 * (a C header for native readers of the same memory) and one Markdown document per record.
 *
 * Field types: `i32` (Int32, little-endian), `f64` (IEEE double), `i64` (64-bit word written only
 * with `Atomics.compareExchange` on a BigInt64Array view), `u8` (bytes). `count` makes an array.
 * `line: true` starts the field on a new 64-byte cache line. `time: true` marks an Int32 that
 * holds a slab time (milliseconds modulo 2^32): the clock's sweep keeps such fields within
 * 2^30 ms of "now" so that wrapping differences stay exact for a process that runs for months.
 */

export type FieldType = 'i32' | 'f64' | 'i64' | 'u8';

export interface FieldDecl {
  readonly name: string;
  readonly type: FieldType;
  readonly count?: number;
  readonly line?: boolean;
  readonly time?: boolean;
  /** For an i64 field: its high half holds a slab time (kept fresh by the sweep). */
  readonly timeHigh?: boolean;
  /** Who writes it (threads or code paths). */
  readonly writers: string;
  /** Who reads it. */
  readonly readers: string;
  /** The operation used for the write, then for the read. */
  readonly op: string;
  readonly notes: string;
}

export interface RecordDecl {
  readonly name: string;
  readonly cName: string;
  readonly prefix: string;
  readonly summary: string;
  readonly fields: readonly FieldDecl[];
}

/** Bumped on every change to a record below; attach refuses a slab of another version. */
export const LAYOUT_VERSION = 3;
/** "RSLB" read as a little-endian Int32. */
export const SLAB_MAGIC = 0x424c5352;
/** Longest endpoint name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 200;
/** Ring slots of the rolling window (a policy uses 1..RING_SLOTS of them). */
export const RING_SLOTS = 16;
/** Int32 slots of an encoded policy block (see src/policy/PolicyCodec.ts). */
export const POLICY_SLOTS = 16;
/** Entries of the slab's state-change event ring. */
export const EVENT_SLOTS = 256;
/** Int32 slots of one event ring entry (the EVENT record). */
export const EVENT_I32 = 4;
/** Priority classes of the priority gate (Low, Normal, High, Critical). */
export const PRIORITY_CLASSES = 4;

export const HEADER: RecordDecl = {
  name: 'header',
  cName: 'rs_header',
  prefix: 'H',
  summary:
    'The first bytes of every slab: identity and geometry (written once by the allocating thread), ' +
    'the shared clock, the registration lock and the default policy.',
  fields: [
    { name: 'magic', type: 'i32', writers: 'allocating thread, once', readers: 'attach', op: 'plain store before publication / plain load', notes: 'SLAB_MAGIC; attach refuses anything else.' },
    { name: 'version', type: 'i32', writers: 'allocating thread, once', readers: 'attach', op: 'plain / plain', notes: 'LAYOUT_VERSION of the writer.' },
    { name: 'capacity', type: 'i32', writers: 'allocating thread, once', readers: 'endpoint table', op: 'plain / plain', notes: 'Number of endpoint records.' },
    { name: 'tableSlots', type: 'i32', writers: 'allocating thread, once', readers: 'endpoint table', op: 'plain / plain', notes: 'Slots in each of the two hash tables (a power of two, at least twice the capacity).' },
    { name: 'endpointsOffset', type: 'i32', writers: 'allocating thread, once', readers: 'attach', op: 'plain / plain', notes: 'Byte offset of endpoint record 0 (64-byte aligned).' },
    { name: 'tablesOffset', type: 'i32', writers: 'allocating thread, once', readers: 'attach', op: 'plain / plain', notes: 'Byte offset of hash table 0; table 1 follows it.' },
    { name: 'byteLength', type: 'f64', writers: 'allocating thread, once', readers: 'attach', op: 'plain / plain', notes: 'Bytes the slab needs; attach checks the buffer is at least this long.' },
    { name: 'clockEpoch', type: 'f64', writers: 'allocating thread, once', readers: 'ticker, clock refresh', op: 'plain / plain', notes: 'Process-monotonic milliseconds at which the real clock read REAL_CLOCK_START.' },
    { name: 'mode', type: 'i32', writers: 'allocating thread, once', readers: 'slow paths', op: 'plain / plain', notes: 'Bit 0: pass-through (no breaking, no limiting; stats still counted).' },
    { name: 'clockKind', type: 'i32', writers: 'allocating thread; ManualClock.bind', readers: 'clock refresh, ticker', op: 'Atomics.store / Atomics.load', notes: '0 = real (ticker-driven), 1 = manual.' },

    { name: 'now', type: 'i32', line: true, writers: 'ticker or ManualClock (any thread)', readers: 'every hot path', op: 'Atomics.compareExchange (forward only) / plain load', notes: 'Slab time in ms modulo 2^32; compared only by wrapping difference. A plain read is safe: an Int32 cannot tear and a stale value only delays.' },
    { name: 'nowHalfWraps', type: 'i32', writers: 'the thread whose CAS moved `now` across a multiple of 2^31', readers: 'clock.absolute()', op: 'Atomics.add / Atomics.load', notes: 'With `now` forms a 64-bit time; one increment may be pending and is inferred from parity.' },
    { name: 'lastSweep', type: 'i32', time: false, writers: 'clock sweep', readers: 'clock sweep', op: 'Atomics.compareExchange / Atomics.load', notes: 'Sweep period number (absolute time >> 28) of the last sweep of old time fields.' },

    { name: 'lock', type: 'i32', line: true, writers: 'register / unregister / policy change', readers: 'same', op: 'Atomics.compareExchange / Atomics.wait', notes: 'Registration lock: 0 free, else the holder token. Never taken on a hot path. A holder that stays for about 2 s (a dead thread) is displaced, and the displacing thread first rebuilds freeHead, liveCount and tombstones from the active table, so a registration cut short loses no record.' },
    { name: 'lockEpoch', type: 'i32', writers: 'lock holder', readers: 'lock waiters', op: 'Atomics.add / Atomics.load', notes: 'Incremented on every acquisition, so a waiter can tell a long hold from a new one.' },
    { name: 'liveCount', type: 'i32', writers: 'lock holder', readers: 'anyone', op: 'Atomics.store / Atomics.load', notes: 'Registered endpoints.' },
    { name: 'tombstones', type: 'i32', writers: 'lock holder', readers: 'lock holder', op: 'plain / plain', notes: 'Tombstones in the active hash table; a rebuild clears them.' },
    { name: 'freeHead', type: 'i32', writers: 'lock holder', readers: 'lock holder', op: 'plain / plain', notes: 'First free endpoint record + 1 (0: none); the list continues through EndpointRecord.nextFree.' },
    { name: 'bumpNext', type: 'i32', writers: 'lock holder', readers: 'lock holder', op: 'plain / plain', notes: 'Next never-used endpoint record.' },
    { name: 'activeTable', type: 'i32', writers: 'lock holder (rebuild)', readers: 'lock-free lookups', op: 'Atomics.store / Atomics.load', notes: 'Table generation; the active table is generation & 1. A lookup that misses retries if it changed.' },

    { name: 'defaultPolicy', type: 'i32', count: POLICY_SLOTS, line: true, writers: 'allocating thread; setDefaultPolicy under the lock', readers: 'registration in any thread', op: 'plain under the lock / plain under the lock', notes: 'The default policy, encoded as in the endpoint record policy block (see PolicyCodec).' },
    { name: 'eventTail', type: 'i32', line: true, writers: 'the thread that made a breaker transition', readers: 'event listeners of every thread', op: 'Atomics.add (claims a sequence number), Atomics.notify / Atomics.load, Atomics.waitAsync', notes: 'Events published so far; entry n lives in events[n % EVENT_SLOTS].' },
    { name: 'events', type: 'i32', count: EVENT_SLOTS * EVENT_I32, line: true, writers: 'transition winners', readers: 'event listeners', op: 'see the event record', notes: 'Ring of EVENT records.' },
    { name: 'defaultRate', type: 'f64', line: true, writers: 'as defaultPolicy', readers: 'as defaultPolicy', op: 'plain under the lock', notes: 'Rate of the default policy, tokens per second (Infinity: unlimited).' },
  ],
};

export const ENDPOINT: RecordDecl = {
  name: 'endpoint',
  cName: 'rs_endpoint',
  prefix: 'EP',
  summary:
    'One per registered endpoint: circuit breaker, rolling window, token bucket, counters, policy and ' +
    'name. The grant counter has a cache line of its own, since every admitted call writes it; the ' +
    'second line holds what every call reads and few calls write.',
  fields: [
    { name: 'grants', type: 'i32', line: true, writers: 'tryAcquire in any thread', readers: 'tryAcquire, window, stats', op: 'Atomics.compareExchange (g to g+1 while g < limit) / plain load', notes: 'Admitted calls, modulo 2^32. Also the token bucket position: a call is admitted while grants < limit.' },
    { name: 'grantsHalfWraps', type: 'i32', writers: 'the thread whose CAS took grants across a multiple of 2^31', readers: 'stats, token bucket', op: 'Atomics.add / Atomics.load', notes: 'High part of the 64-bit total of admitted calls.' },

    { name: 'breaker', type: 'i64', line: true, timeHigh: true, writers: 'state transitions in any thread', readers: 'every tryAcquire (low half, plain), transitions', op: 'Atomics.compareExchange on BigInt64 / plain Int32 load of one half, Atomics.load of the whole', notes: 'Low half: state (bits 0-1), trial permits issued (2-8), trial successes (9-15), generation (16-31). High half: deadline (slab time) of OPEN or of the trial permits of HALF_OPEN.' },
    { name: 'limit', type: 'i64', timeHigh: true, writers: 'token refill in any thread', readers: 'every tryAcquire (both halves, plain), token refill', op: 'Atomics.compareExchange on BigInt64 / plain Int32 loads of the halves (high first)', notes: 'Low half: grants allowed so far, modulo 2^32 (a call is admitted while grants < limit). High half: slab time after which the batch between grants and limit is stale and must not be used. Rate and policy changes always change the word (so a refill worked out before them cannot publish).' },
    { name: 'emptyUntil', type: 'i32', time: true, writers: 'token refill that found the bucket empty; rate and policy changes (reset to now)', readers: 'tryAcquire when the batch is out', op: 'Atomics.store / plain load', notes: 'Slab time before which the bucket is known to hold no token: a rate-limited call is refused without reading the system clock or the bucket.' },
    { name: 'rotateAt', type: 'i32', time: true, writers: 'window rotation in any thread', readers: 'every tryAcquire', op: 'Atomics.compareExchange / plain load', notes: 'Slab time at which the current window bucket ends.' },
    { name: 'life', type: 'i32', writers: 'register / unregister (under the lock)', readers: 'every handle call', op: 'Atomics.store / plain load', notes: '(generation << 1) | live. A handle whose cached value differs rebinds by name.' },
    { name: 'waiters', type: 'i32', writers: 'priority gate (calls that start or stop waiting)', readers: 'every tryAcquire', op: 'Atomics.add / plain load', notes: 'Calls waiting for a token in any thread. Non-zero sends tryAcquire to the priority check.' },
    { name: 'flags', type: 'i32', writers: 'registration (under the lock)', readers: 'slow paths', op: 'Atomics.store / Atomics.load', notes: 'Bit 0 adaptive, bit 1 unlimited rate.' },

    { name: 'failures', type: 'i32', line: true, writers: 'record(ticket, false) in any thread', readers: 'window, stats', op: 'Atomics.add / Atomics.load', notes: 'Failed calls, modulo 2^32.' },
    { name: 'failuresHalfWraps', type: 'i32', writers: 'as grantsHalfWraps', readers: 'stats', op: 'Atomics.add / Atomics.load', notes: 'High part of the 64-bit failure total.' },
    { name: 'rejectedOpen', type: 'i32', writers: 'tryAcquire rejecting on an open circuit', readers: 'stats', op: 'Atomics.add / Atomics.load', notes: 'Calls refused by the breaker, modulo 2^32.' },
    { name: 'rejectedOpenHalfWraps', type: 'i32', writers: 'as grantsHalfWraps', readers: 'stats', op: 'Atomics.add / Atomics.load', notes: 'High part.' },
    { name: 'rejectedRate', type: 'i32', writers: 'tryAcquire rejecting for want of a token', readers: 'stats', op: 'Atomics.add / Atomics.load', notes: 'Calls refused by the rate limiter, modulo 2^32.' },
    { name: 'rejectedRateHalfWraps', type: 'i32', writers: 'as grantsHalfWraps', readers: 'stats', op: 'Atomics.add / Atomics.load', notes: 'High part.' },
    { name: 'transitions', type: 'i32', writers: 'state transitions', readers: 'stats', op: 'Atomics.add / Atomics.load', notes: 'Breaker state transitions, modulo 2^32.' },
    { name: 'nextFree', type: 'i32', writers: 'lock holder', readers: 'lock holder', op: 'plain / plain', notes: 'Free-list link (record index + 1) while the record is free.' },
    { name: 'refilling', type: 'i32', writers: 'token refill, rate changes', readers: 'token refill, rate changes', op: 'Atomics.compareExchange, Atomics.store (takeover), Atomics.notify / Atomics.load, Atomics.wait', notes: 'Thread token of a refill or a rate change in progress, else 0 (rate changes of an endpoint are serialised by it too). Another refill waits for that batch instead of taking from the bucket beside it (a take whose batch is not published is lost): it spins, then sleeps on this word in 1 ms slices (woken by Atomics.notify), and takes the mark over from a refill that has not finished within about 200 ms (descheduled or dead). Correctness does not depend on it.' },
    { name: 'tat', type: 'i64', writers: 'token refill in any thread, rate changes', readers: 'token refill', op: 'Atomics.compareExchange / Atomics.load on BigInt64 (IEEE bits of a double)', notes: 'Theoretical arrival time of the token bucket (GCRA) as a whole number of token intervals since `origin`: takes add whole tokens to it, so it never accumulates rounding. At or below now: the bucket is full. A take only ever moves it forward net (it gives back at most what it takes) and is never undone, even when its batch is not the one published.' },
    { name: 'origin', type: 'i64', writers: 'registration', readers: 'token refill', op: 'Atomics.store / Atomics.load on BigInt64 (IEEE bits of a double)', notes: 'Slab time (ms, exact) the bucket counts its intervals from; keeps the numbers small for an endpoint of any age.' },
    { name: 'interval', type: 'i64', writers: 'rate changes: registration, policy replacement, adjustRate, adaptive transitions (holding the refilling mark)', readers: 'token refill', op: 'Atomics.store / Atomics.load on BigInt64 (IEEE bits of a double)', notes: 'Milliseconds per token at the current rate; 0 when the rate is unlimited.' },
    { name: 'nominalRate', type: 'i64', writers: 'registration', readers: 'stats, adjustRate', op: 'Atomics.store / Atomics.load (IEEE bits)', notes: 'Policy rate in tokens per second.' },
    { name: 'rateFactor', type: 'i64', writers: 'adjustRate, breaker transitions (adaptive)', readers: 'stats, adjustRate', op: 'Atomics.store / Atomics.load (IEEE bits)', notes: 'Health factor of the current rate (1 = nominal).' },

    { name: 'waitCounts', type: 'i32', count: PRIORITY_CLASSES, line: true, writers: 'priority gate', readers: 'tryAcquire with waiters, priority gate', op: 'Atomics.add / Atomics.load', notes: 'Waiting calls per priority class (Low, Normal, High, Critical).' },
    { name: 'waitStamps', type: 'i32', count: PRIORITY_CLASSES, time: true, writers: 'priority gate (every wake-up of a thread with waiters)', readers: 'priority check', op: 'Atomics.store / Atomics.load', notes: 'Last sign of life of each class: a count not refreshed for STALE_WAIT_MS belongs to dead threads and is cleared.' },
    { name: 'waitedCalls', type: 'i32', writers: 'priority gate', readers: 'stats', op: 'Atomics.add / Atomics.load', notes: 'Calls admitted after waiting, modulo 2^32.' },
    { name: 'waitedCallsHalfWraps', type: 'i32', writers: 'as grantsHalfWraps', readers: 'stats', op: 'Atomics.add / Atomics.load', notes: 'High part.' },
    { name: 'waitTotal', type: 'i64', writers: 'priority gate', readers: 'stats', op: 'CAS loop on BigInt64 (IEEE bits of a double) / Atomics.load', notes: 'Milliseconds waited, summed over calls admitted after waiting.' },
    { name: 'latencyTotal', type: 'i32', writers: 'execute() on completion of a sampled call', readers: 'health monitor', op: 'Atomics.add / Atomics.load', notes: 'Whole milliseconds of sampled completed calls, modulo 2^32 (readers use differences).' },
    { name: 'latencyCount', type: 'i32', writers: 'execute() on completion of a sampled call', readers: 'health monitor', op: 'Atomics.add / Atomics.load', notes: 'Sampled completed calls, modulo 2^32.' },
    { name: 'policy', type: 'i32', count: POLICY_SLOTS, line: true, writers: 'registration (under the lock)', readers: 'slow paths', op: 'Atomics.store / plain load', notes: 'Policy block: see PolicyCodec for the meaning of each slot. policy[0] is its version.' },
    { name: 'resetBase', type: 'i64', count: 6, writers: 'resetStats (under the lock)', readers: 'stats', op: 'Atomics.store / Atomics.load on BigInt64 (IEEE bits of a double)', notes: 'Totals (grants, failures, rejectedOpen, rejectedRate, waitedCalls, waitTotal) at the last resetStats.' },

    { name: 'ringStart', type: 'i32', count: RING_SLOTS, line: true, time: true, writers: 'window rotation', readers: 'window read', op: 'Atomics.store (after the snapshots) / plain load', notes: 'Slab time at which each ring bucket began; a bucket older than the window is ignored.' },
    { name: 'ringGrants', type: 'i32', count: RING_SLOTS, writers: 'window rotation', readers: 'window read', op: 'Atomics.store / plain load', notes: 'grants at the start of each bucket: grants in the window = grants - ringGrants[oldest valid].' },
    { name: 'ringFailures', type: 'i32', count: RING_SLOTS, writers: 'window rotation', readers: 'window read', op: 'Atomics.store / plain load', notes: 'failures at the start of each bucket.' },

    { name: 'nameHash', type: 'i32', line: true, writers: 'registration (under the lock)', readers: 'lookups in any thread', op: 'plain before life is published / plain, validated by life', notes: 'FNV-1a of the UTF-8 name.' },
    { name: 'nameLength', type: 'i32', writers: 'registration', readers: 'lookups', op: 'as nameHash', notes: 'UTF-8 bytes of the name.' },
    { name: 'name', type: 'u8', count: MAX_NAME_BYTES, writers: 'registration', readers: 'lookups, stats', op: 'as nameHash', notes: 'UTF-8 bytes of the name, up to MAX_NAME_BYTES.' },
  ],
};

const policySlot = (name: string, notes: string): FieldDecl => ({
  name,
  type: 'i32',
  writers: 'registration, policy replacement (under the registration lock)',
  readers: 'slow paths of any thread',
  op: 'plain store before `version` (Atomics.store) / plain load',
  notes,
});

export const POLICY: RecordDecl = {
  name: 'policy',
  cName: 'rs_policy',
  prefix: 'POL',
  summary:
    'A policy as the slab holds it: the Int32 block inside each endpoint record (`policy`) and in the ' +
    'header (`defaultPolicy`). Rates are kept beside it as doubles.',
  fields: [
    { ...policySlot('version', 'Incremented on every replacement; written last.'), op: 'Atomics.store / Atomics.load' },
    policySlot('thresholdPpm', 'Failure threshold in millionths, 1 to 1,000,000.'),
    policySlot('minRequests', 'Calls in the window before the threshold applies.'),
    policySlot('windowMs', 'Rolling window length.'),
    policySlot('buckets', 'Ring slots in use, 1 to RING_SLOTS.'),
    policySlot('bucketMs', 'Width of one bucket, ms.'),
    policySlot('openTimeoutMs', 'OPEN to HALF_OPEN delay.'),
    policySlot('trials', 'Trial permits per HALF_OPEN generation, 1 to 127.'),
    policySlot('successes', 'Successful trials that close the circuit.'),
    policySlot('trialTimeoutMs', 'Lifetime of trial permits.'),
    policySlot('burst', 'Token bucket capacity.'),
    policySlot('classifier', 'Failure classifier: 0 all, else the FNV-1a hash of its name.'),
    policySlot('adaptive', '1 if the rate follows health and breaker state.'),
    policySlot('rateKind', '0 finite rate, 1 unlimited.'),
  ],
};

export const EVENT: RecordDecl = {
  name: 'event',
  cName: 'rs_event',
  prefix: 'EV',
  summary:
    'One entry of the state-change ring in the header (`events`). The thread whose CAS made a ' +
    'breaker transition claims a sequence number n from `eventTail`, writes the entry at ' +
    'n % EVENT_SLOTS and commits it by storing n + 1 in `seq` last. Listeners in every thread ' +
    'keep their own cursor and deliver entries whose `seq` matches.',
  fields: [
    { name: 'seq', type: 'i32', writers: 'transition winner', readers: 'listeners', op: 'Atomics.store (last, commits the entry) / Atomics.load', notes: 'Sequence number + 1 of the event held, 0 before the first.' },
    { name: 'endpoint', type: 'i32', writers: 'transition winner', readers: 'listeners', op: 'plain before seq / plain after seq', notes: 'Endpoint record index.' },
    { name: 'change', type: 'i32', writers: 'transition winner', readers: 'listeners', op: 'plain before seq / plain after seq', notes: 'from | to << 8 | (life & 0xffff) << 16.' },
    { name: 'at', type: 'i32', writers: 'transition winner', readers: 'listeners', op: 'plain before seq / plain after seq', notes: 'Slab time of the transition, modulo 2^32.' },
  ],
};

export const RECORDS: readonly RecordDecl[] = [HEADER, ENDPOINT, POLICY, EVENT];
