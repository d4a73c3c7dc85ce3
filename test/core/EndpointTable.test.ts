import { describe, expect, it } from 'vitest';
import { encodeName, fnv1a } from '../../src/core/EndpointTable.js';
import { H_ACTIVE_TABLE_I32, H_TOMBSTONES_I32 } from '../../src/core/layout.generated.js';
import { Slab } from '../../src/core/Slab.js';
import {
  BreakerState,
  CapacityError,
  EndpointNameError,
  isCapacityError,
  isEndpointNameError,
  ManualClock,
  MAX_NAME_BYTES,
  type Policy,
  PolicyPresets,
  Rejection,
  ResilienceService,
} from '../../src/index.js';
import { totalsOf } from '../support/inspect.js';

const utf8 = (s: string): number => new TextEncoder().encode(s).length;

function policy(burst: number): Policy {
  return { ...PolicyPresets.standard(), rate: 1, burst, minimumRequests: 2, failureThreshold: 0.5, adaptive: false };
}

function service(capacity: number): { svc: ResilienceService; clock: ManualClock } {
  const clock = new ManualClock(2 ** 32 + 77);
  return { svc: new ResilienceService(policy(1), { clock, capacity }), clock };
}

function nameError(name: unknown): unknown {
  try {
    encodeName(name);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('fnv1a', () => {
  it('is 32-bit FNV-1a (published test vectors), as a signed Int32', () => {
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(fnv1a(enc(''))).toBe(0x811c9dc5 | 0);
    expect(fnv1a(enc('a'))).toBe(0xe40c292c | 0);
    expect(fnv1a(enc('foobar'))).toBe(0xbf9cf968 | 0);
  });
});

describe('encodeName', () => {
  it('encodes a name as UTF-8 with its hash', () => {
    const e = encodeName('cache-€');
    expect(e.name).toBe('cache-€');
    expect([...e.bytes]).toEqual([...new TextEncoder().encode('cache-€')]);
    expect(e.hash).toBe(fnv1a(e.bytes));
  });

  it(`accepts names of up to ${MAX_NAME_BYTES} UTF-8 bytes, however many characters that is`, () => {
    for (const name of ['a'.repeat(200), 'é'.repeat(100), '€'.repeat(66) + 'ab', '😀'.repeat(50), 'x']) {
      expect(utf8(name)).toBeLessThanOrEqual(MAX_NAME_BYTES);
      expect(encodeName(name).bytes.length).toBe(utf8(name));
    }
  });

  it.each([
    ['201 ASCII characters', 'a'.repeat(201)],
    ['101 two-byte characters (101 UTF-16 units, 202 bytes)', 'é'.repeat(101)],
    ['67 three-byte characters (67 UTF-16 units, 201 bytes)', '€'.repeat(67)],
    ['51 emoji (102 UTF-16 units, 204 bytes)', '😀'.repeat(51)],
  ])('refuses a name that is too long in UTF-8 bytes: %s', (_label, name) => {
    const error = nameError(name);
    expect(error).toBeInstanceOf(EndpointNameError);
    expect(isEndpointNameError(error)).toBe(true);
    expect((error as EndpointNameError).code).toBe('ENDPOINT_NAME');
    expect((error as Error).message).toContain(String(utf8(name)));
    expect((error as Error).message).toContain(String(MAX_NAME_BYTES));
  });

  it('refuses the empty name', () => {
    expect(nameError('')).toBeInstanceOf(EndpointNameError);
    expect((nameError('') as Error).message).toMatch(/empty/);
  });

  it.each(['\uD800', 'ab\uDFFFcd', '\uDC00\uD800', 'ok\uD83D'])('refuses %j, which holds a lone surrogate', (name) => {
    const error = nameError(name);
    expect(error).toBeInstanceOf(EndpointNameError);
    expect((error as Error).message).toMatch(/surrogate/);
  });

  it.each([42, null, undefined, {}, ['a'], new String('a'), Symbol('a'), true])('refuses the non-string %s', (name) => {
    const error = nameError(name);
    expect(error).toBeInstanceOf(EndpointNameError);
    expect((error as Error).message).toContain(typeof name);
  });

  it('refuses bad names at the service entry points too', () => {
    const { svc } = service(4);
    expect(() => svc.registerEndpoint('', policy(1))).toThrow(EndpointNameError);
    expect(() => svc.endpoint('\uD800')).toThrow(EndpointNameError);
    expect(() => svc.endpoint('x'.repeat(201))).toThrow(EndpointNameError);
    expect(() => svc.hasEndpoint(7 as unknown as string)).toThrow(EndpointNameError);
    expect(svc.endpointNames()).toEqual([]);
  });
});

describe('names that are Object.prototype keys', () => {
  it('are ordinary endpoints with their own records and state', () => {
    const { svc, clock } = service(8);
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype'];
    names.forEach((name, i) => {
      svc.registerEndpoint(name, policy(i + 1));
    });
    expect(svc.endpointNames().sort()).toEqual([...names].sort());
    names.forEach((name, i) => {
      expect(svc.hasEndpoint(name)).toBe(true);
      const ep = svc.endpoint(name);
      let admitted = 0;
      while (ep.tryAcquire() >= 0) admitted++;
      expect(admitted).toBe(i + 1); // each has its own bucket of its own burst
      expect(totalsOf(svc.handle, name).admitted).toBe(i + 1);
    });
    // Tripping one leaves the others closed.
    const proto = svc.endpoint('__proto__');
    expect(svc.endpoint('constructor').state).toBe(BreakerState.Closed);
    svc.registerEndpoint('__proto__', { ...policy(1), rate: 1000, burst: 10 });
    clock.advance(60_000); // past the drained bucket's debt and the window holding the drained calls
    for (let i = 0; i < 2; i++) proto.record(proto.tryAcquire(), false);
    expect(proto.state).toBe(BreakerState.Open);
    expect(svc.endpoint('constructor').state).toBe(BreakerState.Closed);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(svc.unregisterEndpoint('__proto__')).toBe(true);
    expect(svc.hasEndpoint('__proto__')).toBe(false);
    expect(svc.hasEndpoint('constructor')).toBe(true);
  });
});

describe('capacity', () => {
  it('throws CapacityError past capacity and corrupts nothing', () => {
    const { svc, clock } = service(4);
    const names = ['a', 'b', 'c', 'd'];
    names.slice(0, 3).forEach((name, i) => {
      svc.registerEndpoint(name, policy(i + 2));
    });
    svc.registerEndpoint('d', { ...policy(1), rate: 1000, burst: 10 });
    const a = svc.endpoint('a');
    expect(a.tryAcquire()).toBeGreaterThanOrEqual(0);

    let error: unknown;
    try {
      svc.registerEndpoint('e', policy(1));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CapacityError);
    expect(isCapacityError(error)).toBe(true);
    expect((error as CapacityError).code).toBe('CAPACITY');
    expect((error as CapacityError).capacity).toBe(4);
    expect((error as CapacityError).endpoint).toBe('e');
    expect((error as Error).message).toContain('"e"');
    // Using an unregistered name registers it with the default policy: the same error.
    for (let i = 0; i < 50; i++) expect(() => svc.endpoint(`extra-${i}`)).toThrow(CapacityError);

    expect(svc.endpointNames().sort()).toEqual(names);
    expect(svc.hasEndpoint('e')).toBe(false);
    // The existing endpoints keep their buckets, counters and breakers.
    let admitted = 1;
    while (a.tryAcquire() >= 0) admitted++;
    expect(admitted).toBe(2);
    ['b', 'c'].forEach((name, i) => {
      const ep = svc.endpoint(name);
      let n = 0;
      while (ep.tryAcquire() >= 0) n++;
      expect(n).toBe(i + 3);
    });
    clock.advance(1_000);
    const d = svc.endpoint('d');
    d.record(d.tryAcquire(), false);
    expect(d.state).toBe(BreakerState.Closed); // 1 call < minimumRequests 2
    d.record(d.tryAcquire(), false);
    expect(d.state).toBe(BreakerState.Open);
    expect(d.tryAcquire()).toBe(Rejection.CircuitOpen);
    expect(totalsOf(svc.handle, 'd')).toMatchObject({ admitted: 2, failures: 2, rejectedOpen: 1, transitions: 1 });
    expect(totalsOf(svc.handle, 'a')).toMatchObject({ admitted: 2, failures: 0, rejectedRate: 1, transitions: 0 });

    // Freeing a record makes room again.
    expect(svc.unregisterEndpoint('b')).toBe(true);
    svc.registerEndpoint('e', policy(7));
    expect(svc.endpointNames().sort()).toEqual(['a', 'c', 'd', 'e']);
    expect(() => svc.registerEndpoint('f', policy(1))).toThrow(CapacityError);
  });

  it('reuses records and rebuilds tombstones: 100,000 distinct names through a slab of capacity 64', () => {
    const { svc } = service(64);
    const keep = Array.from({ length: 32 }, (_, i) => `keep-${i}`);
    keep.forEach((name, i) => {
      svc.registerEndpoint(name, policy(i + 1));
    });
    const slab = Slab.attach(svc.handle);
    const tablesBefore = Atomics.load(slab.i32, H_ACTIVE_TABLE_I32);
    const group = 16;
    for (let n = 0; n < 100_000; n += group) {
      const names = Array.from({ length: group }, (_, k) => `churn-${n + k}`);
      for (const name of names) svc.registerEndpoint(name, policy(3));
      for (const name of names) expect(svc.unregisterEndpoint(name)).toBe(true);
    }
    expect(Atomics.load(slab.i32, H_ACTIVE_TABLE_I32)).toBeGreaterThan(tablesBefore); // tables were rebuilt
    expect(Atomics.load(slab.i32, H_TOMBSTONES_I32)).toBeLessThanOrEqual(slab.tableSlots / 4);
    expect(svc.endpointNames().sort()).toEqual([...keep].sort());
    for (const name of ['churn-0', 'churn-4242', 'churn-99999']) expect(svc.hasEndpoint(name)).toBe(false);
    keep.forEach((name, i) => {
      expect(svc.hasEndpoint(name)).toBe(true);
      expect(svc.policyOf(name).burst).toBe(i + 1);
    });
    // Every record is free again: the slab still holds exactly 64 endpoints.
    for (let i = 0; i < 32; i++) svc.registerEndpoint(`late-${i}`, policy(1));
    expect(() => svc.registerEndpoint('one-too-many', policy(1))).toThrow(CapacityError);
  });
});
